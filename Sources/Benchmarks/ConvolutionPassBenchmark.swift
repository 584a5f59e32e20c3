import CNumerics
import Foundation

/// One convolution layer of a CNTK tile (Σ and Θ of 40 pairs at the 441 sites of a 21×21
/// image, 3×3 SAME): the one-pass form `ntkb_box_convolve_pair` against the two-pass form it
/// replaced in the tile engine (`ntkb_box_convolve` on Σ, then on Θ with Σ′ added, in place),
/// alternated in the same run, best of 200 layers; both produce the same bits (checked here).
enum ConvolutionPassBenchmark {
    static func run() {
        let (side, pairs) = (21, 40)
        let values = side * side * pairs
        let source = (0..<side).flatMap { a in (0..<3).map { t in a + t - 1 < 0 || a + t - 1 >= side ? -1 : a + t - 1 } }
        var state = (0..<(2 * values)).map { Double($0 % 97) / 97 - 0.3 }
        var out = [Double](repeating: 0, count: 2 * values), scratch = [Double](repeating: 0, count: values + 16 * side * side)
        var inPlace = state
        let scale = 2.0 / 9
        var best = [Double.infinity, .infinity], sameBits = true
        source.withUnsafeBufferPointer { taps in
            let t = taps.baseAddress!
            for _ in 0..<200 {
                best[0] = min(best[0], seconds {
                    inPlace.withUnsafeMutableBufferPointer { s in
                        scratch.withUnsafeMutableBufferPointer { w in
                            ntkb_box_convolve(side, 3, t, side, 3, t, pairs, scale, 0.1, nil, s.baseAddress!, w.baseAddress!)
                            ntkb_box_convolve(side, 3, t, side, 3, t, pairs, scale, 0, s.baseAddress!, s.baseAddress! + values,
                                              w.baseAddress!)
                        }
                    }
                })
                best[1] = min(best[1], seconds {
                    state.withUnsafeBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { o in
                            scratch.withUnsafeMutableBufferPointer { w in
                                ntkb_box_convolve_pair(side, 3, t, side, 3, t, pairs, scale, 0.1, s.baseAddress!,
                                                       s.baseAddress! + values, o.baseAddress!, o.baseAddress! + values,
                                                       w.baseAddress!)
                            }
                        }
                    }
                })
                sameBits = sameBits && zip(inPlace, out).allSatisfy { $0.bitPattern == $1.bitPattern }
                state = out
                inPlace = out
            }
        }
        let perValue = { (seconds: Double) in String(format: "%.2f ns", seconds / Double(values) * 1e9) }
        print("convolution pass, one CNTK tile layer (21×21 sites × 40 pairs, 3×3 SAME, Σ and Θ; \(loadAverage())):")
        print("  two passes in place (previous)   \(perValue(best[0])) per pair·pixel")
        print("  one pass, out of place (now)     \(perValue(best[1])) per pair·pixel   "
              + String(format: "%.2f× faster", best[0] / best[1]) + (sameBits ? ", same bits" : ", BITS DIFFER"))
    }

    private static func seconds(_ body: () -> Void) -> Double {
        let start = Timing.now()
        body()
        return Timing.now() - start
    }
}
