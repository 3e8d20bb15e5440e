import Foundation

/// Numbers for hand-written JSON: non-finite numbers become null.
enum JSONNumber {
    static func text(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }
}
