import COpenSSL
import Foundation

/// Signs deliveries as the Standard Webhooks specification does: HMAC-SHA256 over
/// `{webhook-id}.{webhook-timestamp}.{body}`, sent base64-encoded as `Webhook-Signature: v1,<signature>`.
/// The key is the secret's bytes; a secret written `whsec_<base64>` (as Standard Webhooks
/// libraries make them) is the base64-decoded part.
struct WebhookSigner: Sendable {
    let key: [UInt8]

    init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = Array(decoded)
        } else {
            key = Array(secret.utf8)
        }
    }

    /// The `Webhook-Signature` header's value.
    func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        "v1," + Data(Self.hmacSHA256(key: key, Array("\(id).\(timestamp).".utf8) + body)).base64EncodedString()
    }

    static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &length)
            }
        }
        precondition(ok != nil && length == 32, "OpenSSL HMAC-SHA256 failed")
        return out
    }
}
