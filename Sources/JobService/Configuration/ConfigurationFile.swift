import HTTPServer

/// A configuration as the JSON file `dipd --config` reads: every setting, dotted keys as
/// nested objects, in the table's order. `config/dipd.json` is this of the defaults.
extension SettingsTable {
    public static func defaultConfigJSON() -> String { configJSON(defaults) }

    public static func configJSON(_ configuration: ServiceConfiguration) -> String {
        json(of: all.map { ($0.key.split(separator: ".").map(String.init), $0.value(in: configuration)) }, indent: "") + "\n"
    }

    /// An object of `entries` (key paths and values); entries sharing a first component
    /// become one nested object where the first of them stands.
    private static func json(of entries: [(path: [String], value: SettingValue)], indent: String) -> String {
        var names: [String] = []
        var members: [String: [(path: [String], value: SettingValue)]] = [:]
        for e in entries {
            let name = e.path[0]
            if members[name] == nil { names.append(name) }
            members[name, default: []].append((Array(e.path.dropFirst()), e.value))
        }
        let inner = indent + "  "
        let lines = names.map { name -> String in
            let group = members[name]!
            let body = group.count == 1 && group[0].path.isEmpty ? group[0].value.json : json(of: group, indent: inner)
            return inner + JSONString.quoted(name) + ": " + body
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
    }
}
