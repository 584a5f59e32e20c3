// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, or the base kernel).
import Foundation
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
// `Benchmarks omniglot` runs only the Omniglot task-generation benchmark.
if CommandLine.arguments.dropFirst().first == "omniglot" {
    try OmniglotBenchmark.run()
    exit(0)
}
try KernelBenchmark.run()
print()
try PredictorBenchmark.run()
print()
try TrainingBenchmark.run()
print()
try OmniglotBenchmark.run()
