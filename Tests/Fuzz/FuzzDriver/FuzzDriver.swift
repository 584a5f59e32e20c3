// The entry point of a libFuzzer target built by SwiftPM on Linux. SwiftPM links an executable
// with `main` aliased to `<Target>_main`, so libFuzzer's own `main` is not used; each target
// defines `<Target>_main` to call `FuzzDriver.run`, which hands its one-input function to
// libFuzzer's documented driver entry `LLVMFuzzerRunDriver`.

public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: FuzzInput) -> Int32

public enum FuzzDriver {
    /// Runs libFuzzer with the process's arguments on `input`.
    public static func run(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ input: FuzzInput) -> Int32 {
        var count = argc, vector = argv
        return LLVMFuzzerRunDriver(&count, &vector, input)
    }
}
