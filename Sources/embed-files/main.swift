// embed-files OUTPUT ROOT PATH...: writes a Swift source whose `EmbeddedFiles.text` maps each
// PATH (relative to ROOT) to the file's text. Run by the EmbedFiles build plugin.
import Foundation

/// A raw multi-line Swift string literal holding `text` exactly: more #s in its delimiters than in
/// any run after a quote or a backslash in the text, so nothing in it closes or escapes the string.
func literal(_ text: String) -> String {
    var hashes = "#"
    while text.contains("\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
    // The literal drops the newline before its closing quotes: the one added here.
    return hashes + "\"\"\"\n" + text + "\n\"\"\"" + hashes
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("embed-files: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: embed-files OUTPUT ROOT PATH...") }
let root = URL(fileURLWithPath: arguments[2])
var source = """
    // Generated at build time by the EmbedFiles plugin; edit the files named here, not this.
    enum EmbeddedFiles {
        /// Each embedded file's text by its path in the repository.
        static let text: [String: String] = [

    """
for path in arguments.dropFirst(3) {
    let text = try String(contentsOf: root.appending(path: path), encoding: .utf8)
    // A multi-line literal reads a carriage return as a line break.
    if text.contains("\r") { fail("\(path) has carriage returns; save it with LF line ends") }
    if path.contains("\"") || path.contains("\\") { fail("\(path): a quote or backslash in a name") }
    source += "        \"\(path)\": \(literal(text)),\n"
}
source += "    ]\n}\n"
try source.write(toFile: arguments[1], atomically: true, encoding: .utf8)
