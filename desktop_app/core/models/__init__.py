"""Running ONNX models safely: the contract's checks, the load-time trial in a child process, deadlines, sessions, and the model classes the app calls."""
