/// The README's settings table, written from the settings table.
extension SettingsTable {
    public static let markdownBegin = "<!-- settings-table:begin -->"
    public static let markdownEnd = "<!-- settings-table:end -->"

    /// One row per setting: key, environment variable, default, meaning (with the values accepted).
    public static func markdownTable() -> String {
        var lines = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
        for s in all {
            var meaning = s.summary
            switch s.rule {
            case .any, .nonEmpty: break
            case .integers, .oneOf, .networks: meaning += " Accepted: " + s.rule.requirement.replacingPrefix("must be ", with: "") + "."
            case .emptyOrPrefixed(let prefixes): meaning += " Accepted: empty, or starting with " + SettingRule.alternatives(prefixes) + "."
            }
            lines.append("| `\(s.key)` | `\(s.environmentName)` | \(markdown(s.defaultValue)) | \(cell(meaning)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table between its markers, as the README holds it.
    public static func markdownBlock() -> String {
        markdownBegin + "\n" + markdownTable() + markdownEnd
    }

    private static func markdown(_ value: SettingValue) -> String {
        switch value {
        case .string(let s): return s.isEmpty ? "empty" : "`\(s)`"
        case .int(let n): return String(n)
        case .strings(let items): return items.isEmpty ? "none" : items.map { "`\($0)`" }.joined(separator: ", ")
        }
    }

    /// A pipe would end the cell.
    private static func cell(_ text: String) -> String {
        String(text.flatMap { $0 == "|" ? Array("\\|") : [$0] })
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
