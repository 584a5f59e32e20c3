/// One Omniglot drawing as a feature vector (the task files' inputs).
///
/// The 105 × 105 drawing becomes an ink map (ink = 1, background = 0; in the 1-bit PNGs a set
/// bit is white background), which is shrunk to S × S by the mean over each block of
/// (105/S)² pixels, flattened row by row, and standardized by its own mean μ and population
/// standard deviation σ = √(Σ(x − μ)²/S²): x ↦ (x − μ)/σ.
public enum OmniglotImage {
    /// The side of every Omniglot drawing, in pixels.
    public static let side = 105
    /// The image sizes S that divide 105 and leave more than one pixel.
    public static let sizes = [3, 5, 7, 15, 21, 35, 105]

    /// The ink map of a decoded drawing: 1 where the pixel is dark (gray < 128), else 0.
    public static func ink(_ image: GrayscaleImage) -> [UInt8] {
        image.pixels.map { $0 < 128 ? 1 : 0 }
    }

    /// The S × S block means of a 105 × 105 ink map, row-major.
    public static func blockMeans(ink: [UInt8], size s: Int) -> [Double] {
        precondition(ink.count == side * side && side % s == 0)
        let block = side / s
        var counts = [Int](repeating: 0, count: s * s)
        for row in 0..<side {
            let base = (row / block) * s
            for column in 0..<side where ink[row * side + column] != 0 {
                counts[base + column / block] += 1
            }
        }
        let area = Double(block * block)
        return counts.map { Double($0) / area }
    }

    /// The S × S block means of a decoded drawing's ink (gray < 128), in one pass.
    public static func blockMeans(_ image: GrayscaleImage, size s: Int) -> [Double] {
        precondition(image.width == side && image.height == side && side % s == 0)
        let block = side / s
        let blockOfColumn = (0..<side).map { $0 / block }
        var counts = [Int](repeating: 0, count: s * s)
        image.pixels.withUnsafeBufferPointer { pixels in
            counts.withUnsafeMutableBufferPointer { counts in
                for row in 0..<side {
                    let base = (row / block) * s, offset = row * side
                    for column in 0..<side where pixels[offset + column] < 128 { counts[base + blockOfColumn[column]] += 1 }
                }
            }
        }
        let area = Double(block * block)
        return counts.map { Double($0) / area }
    }

    /// x ↦ (x − μ)/σ with the vector's own mean and population standard deviation; nil when
    /// σ = 0 (a blank or fully inked image).
    public static func standardized(_ x: [Double]) -> [Double]? {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        guard variance > 0 else { return nil }
        let deviation = variance.squareRoot()
        return x.map { ($0 - mean) / deviation }
    }
}
