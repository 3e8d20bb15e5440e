import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

// Every failure is one line on stderr and a non-zero exit code; --help and
// --version still print in full.
do {
    var command = try DIPCommand.parseAsRoot()
    try command.run()
} catch {
    let code = DIPCommand.exitCode(for: error)
    if code == .success { DIPCommand.exit(withError: error) }
    let message = DIPCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
    Terminal.errorLine("dip: error: \(text)")
    exit(code.rawValue == 0 ? 1 : code.rawValue)
}
