// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, or the base kernel). `Benchmarks steps` runs
// only the per-method outer-step comparison.
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
if CommandLine.arguments.dropFirst().first == "steps" {
    try MethodStepBenchmark.run()
} else {
    try KernelBenchmark.run()
    print()
    try PredictorBenchmark.run()
    print()
    try TrainingBenchmark.run()
    print()
    try MethodStepBenchmark.run()
}
