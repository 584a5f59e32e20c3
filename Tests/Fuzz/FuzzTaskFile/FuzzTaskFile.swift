// libFuzzer target for the JSON task-file reader (`make fuzz`).
import FewShot
import Foundation
import FuzzDriver

@_cdecl("FuzzTaskFile_main")
public func fuzzTaskFileMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzDriver.run(argc, argv) { data, size in fuzzTaskFile(data!, size) }
}

func fuzzTaskFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let tasks = try TaskSet(taskFileText: text, source: "fuzz.json")
        precondition(!tasks.train.isEmpty && tasks.inputDimension >= 1, "an invalid task set was accepted")
    } catch {
        precondition(!"\(error)".isEmpty)
    }
    return 0
}
