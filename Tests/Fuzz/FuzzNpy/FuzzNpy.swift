// libFuzzer target for the .npy matrix reader (`make fuzz`). The reader takes a path, so each
// input is first written to one scratch file per process, in /dev/shm when there is one: on
// ext4, truncating and rewriting a file forces a flush (auto_da_alloc), ~7 ms per input.
import Foundation
import FuzzDriver
import LinearAlgebra
import Reports

private let scratchPath = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()) + "/ntkbridge-fuzz-\(getpid()).npy"

@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzDriver.run(argc, argv) { data, size in fuzzNpy(data!, size) }
}

func fuzzNpy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = fopen(scratchPath, "wb")!
    fwrite(data, 1, size, file)
    fclose(file)
    do {
        let m = try Matrix(npyFile: scratchPath)
        precondition(m.elements.count == m.rows * m.columns, "inconsistent matrix")
    } catch {
        precondition(!"\(error)".isEmpty)
    }
    return 0
}
