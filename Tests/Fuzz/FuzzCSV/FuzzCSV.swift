// libFuzzer target for the CSV matrix reader (`make fuzz`). Every input must parse or be
// refused with a typed error; a crash, trap or hang is a finding.
import Foundation
import FuzzDriver
import LinearAlgebra

@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzDriver.run(argc, argv) { data, size in fuzzCSV(data!, size) }
}

func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let m = try Matrix(csvText: text, source: "fuzz.csv")
        precondition(m.rows >= 1 && m.columns >= 1 && m.elements.count == m.rows * m.columns, "inconsistent matrix")
        precondition(m.elements.allSatisfy(\.isFinite), "a non-finite value was accepted")
    } catch {
        precondition(!"\(error)".isEmpty)
    }
    return 0
}
