import NTKBridgeCommands

NTKBridge.main()
