import LinearAlgebra
import NTKBridgeCommands

AllocatorTuning.keepFreedMemoryForReuse()
NTKBridge.main()
