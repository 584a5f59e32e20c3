// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, or the base kernel). Arguments name the
// benchmarks to run (kernel, activations, predictor, training); none runs them all.
import Foundation
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
let chosen = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { chosen.isEmpty || chosen.contains(name) }
if wanted("kernel") { try KernelBenchmark.run(); print() }
if wanted("activations") { try ActivationBenchmark.run(); print() }
if wanted("predictor") { try PredictorBenchmark.run(); print() }
if wanted("training") { try TrainingBenchmark.run() }
