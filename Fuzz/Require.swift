/// `precondition` with a message that survives -O builds, so a crash report says which
/// property broke. Compiled into every target.
func require(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #file, line: UInt = #line) {
    if !ok() { fatalError(message(), file: file, line: line) }
}
