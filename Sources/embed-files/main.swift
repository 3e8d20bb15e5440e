// embed-files OUTPUT ROOT PATH...: writes a Swift source whose `EmbeddedFiles.text` maps each
// PATH (relative to ROOT) to the file's text. Run by the EmbedFiles build plugin.
import Foundation

/// A Swift string literal holding `text` exactly: every character that a literal would read
/// otherwise is escaped.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: embed-files OUTPUT ROOT PATH...\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: arguments[2])
var source = """
    // Generated at build time by the EmbedFiles plugin; edit the files named here, not this.
    enum EmbeddedFiles {
        /// Each embedded file's text by its path in the repository.
        static let text: [String: String] = [

    """
for path in arguments.dropFirst(3) {
    let text = try String(contentsOf: root.appending(path: path), encoding: .utf8)
    source += "        \(literal(path)): \(literal(text)),\n"
}
source += "    ]\n}\n"
try source.write(toFile: arguments[1], atomically: true, encoding: .utf8)
