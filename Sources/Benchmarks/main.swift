// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, plain reads/writes of the same bytes, or the
// base kernel).
import Foundation
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }
try KernelBenchmark.run()
print()
try IOBenchmark.run(folder: scratch)
print()
try CommandBenchmark.runAll(folder: scratch)
print()
try CommandBenchmark.predict(folder: scratch)
print()
try PredictorBenchmark.run()
print()
try TrainingBenchmark.run()
