import DIPEngine
import Foundation
import ImageCodec
import ImageTensors
import TestData
import Testing

/// One job of every task through the real binary, with the reference's settings cut to a
/// few iterations on small crops: the service accepts each task with its inputs, runs it
/// and returns a result of the right size. (Quality per task is the engine's tests' job.)
@Suite("dipd runs every task", .serialized)
struct TaskJobsTests {
    static let weights = TestData.squeezeNetParam.path

    /// Crops a demo image to `size`×`size` (from its centre) and writes it as PNG.
    static func crop(_ relative: String, size: Int, channels: Int? = nil, to dir: URL) throws -> String {
        let url = TestData.demo(relative)
        var image = try ImageCodec.decode(Array(Data(contentsOf: url)))
        if let channels { image = image.converted(toChannels: channels) }
        let t = ImageTensor(image).tensor
        let c = t.cropped(x: (t.width - size) / 2, y: (t.height - size) / 2, width: size, height: size)
        let out = dir.appendingPathComponent(relative.replacingOccurrences(of: "/", with: "-") + ".png")
        try Data(ImageTensor.encodePNG(c)).write(to: out)
        return out.path
    }

    static func run(_ dipd: Dipd, _ args: [String]) throws -> (job: [String: Any], result: Image) {
        let r = try curl(args + ["\(dipd.base)/v1/jobs"])
        #expect(r.status == 202, "\(r.json)")
        let id = try #require(r.json["id"] as? String, "\(r.json)")
        let job = try poll(dipd, id) { ["succeeded", "failed"].contains(state($0)) }
        #expect(state(job) == "succeeded", "\(job["error"] ?? "")")
        let png = try curl(["\(dipd.base)/v1/jobs/\(id)/result.png"])
        return (job, try ImageCodec.decode(Array(png.body)))
    }

    @Test func everyTaskWithItsInputs() throws {
        let dipd = try Dipd(environment: ["DIPD_PREIMAGE_WEIGHTS": Self.weights])
        let dir = try temporaryDirectory("dipd-tasks")
        let version = try curl(["\(dipd.base)/version"]).json["tasks"] as? [String]
        #expect(version == ["denoise", "super-resolution", "inpaint", "restore", "jpeg", "flash", "preimage", "activation"])

        let zebra = try Self.crop("sr/zebra_crop.png", size: 32, to: dir)
        let sr = try Self.run(dipd, ["-F", "image=@\(zebra)", "-F", "task=super-resolution", "-F", "factor=2", "-F", "iterations=3"])
        #expect(sr.result.width == 64 && sr.result.height == 64)
        #expect((sr.job["parameters"] as? [String: Any])?["factor"] as? Int == 2)

        let kate = try Self.crop("inpainting/kate.png", size: 64, to: dir)
        let kateMask = try Self.crop("inpainting/kate_mask.png", size: 64, to: dir)
        let inpaint = try Self.run(dipd, ["-F", "image=@\(kate)", "-F", "mask=@\(kateMask)", "-F", "task=inpaint",
                                          "-F", "setup=text", "-F", "iterations=3"])
        #expect(inpaint.result.width == 64)
        let vase = try Self.crop("inpainting/vase.png", size: 64, to: dir)
        let vaseMask = try Self.crop("inpainting/vase_mask.png", size: 64, to: dir)
        let hole = try Self.run(dipd, ["-F", "image=@\(vase)", "-F", "mask=@\(vaseMask)", "-F", "task=inpaint",
                                       "-F", "setup=large-hole", "-F", "iterations=3"])
        #expect((hole.job["parameters"] as? [String: Any])?["network"].flatMap { ($0 as? [String: Any])?["input_channels"] as? Int } == 2)

        let barbara = try Self.crop("restoration/barbara.png", size: 64, channels: 1, to: dir)
        let restore = try Self.run(dipd, ["-F", "image=@\(barbara)", "-F", "task=restore", "-F", "keep=0.5", "-F", "iterations=3"])
        #expect(restore.result.channels == 1)

        let noFlash = try Self.crop("flash_no_flash/cave01_01_noflash.jpg", size: 64, to: dir)
        let flashImage = try Self.crop("flash_no_flash/cave01_00_flash.jpg", size: 64, to: dir)
        _ = try Self.run(dipd, ["-F", "image=@\(noFlash)", "-F", "guide=@\(flashImage)", "-F", "task=flash", "-F", "iterations=3"])

        func channelsDown(_ job: [String: Any]) -> [Int]? {
            (job["parameters"] as? [String: Any])?["network"].flatMap { ($0 as? [String: Any])?["channels_down"] as? [Int] }
        }
        let jpeg = try Self.run(dipd, ["-F", "image=@\(kate)", "-F", "task=jpeg", "-F", "iterations=3"])
        let cap = try #require(Preset.balanced.scaling.maxChannels)
        // The presets fit JPEGs with denoising's network, every level `cap` channels.
        #expect(channelsDown(jpeg.job) == Array(repeating: cap, count: 5))
        #expect((jpeg.job["parameters"] as? [String: Any])?["preset"] as? String == "balanced")
        let jpegReference = try Self.run(dipd, ["-F", "image=@\(kate)", "-F", "task=jpeg", "-F", "preset=reference", "-F", "iterations=3"])
        #expect(channelsDown(jpegReference.job) == [8, 16, 32, 64, 128])

        let building = try Self.crop("feature_inversion/building.jpg", size: 64, to: dir)
        let pre = try Self.run(dipd, ["-F", "image=@\(building)", "-F", "task=preimage", "-F", "layer=conv10", "-F", "iterations=3"])
        #expect((pre.job["parameters"] as? [String: Any])?["layer"] as? String == "conv10")

        // A mask of the wrong size, and an unknown layer, are refused at submission.
        let small = try Self.crop("inpainting/kate_mask.png", size: 32, to: dir)
        let bad = try curl(["-F", "image=@\(kate)", "-F", "mask=@\(small)", "-F", "task=inpaint", "\(dipd.base)/v1/jobs"])
        #expect(bad.status == 422 && bad.errorMessage.contains("mask"))
        let layer = try curl(["-F", "image=@\(building)", "-F", "task=preimage", "-F", "layer=fc7", "\(dipd.base)/v1/jobs"])
        #expect(layer.status == 422 && layer.errorMessage.contains("layer"))
        #expect(dipd.stop() == 0)
    }

    /// Activation takes no image: form fields alone, or a request without a body and the spec in
    /// the query. Its job's input is described as the result (size², RGB); it has no input file.
    @Test func activationRunsWithoutAnImage() throws {
        let dipd = try Dipd(environment: ["DIPD_PREIMAGE_WEIGHTS": Self.weights])
        let form = try Self.run(dipd, ["-F", "task=activation", "-F", "class=1", "-F", "size=64", "-F", "iterations=3"])
        #expect(form.result.width == 64 && form.result.height == 64 && form.result.channels == 3)
        let parameters = try #require(form.job["parameters"] as? [String: Any])
        #expect(parameters["task"] as? String == "activation" && parameters["class"] as? Int == 1)
        #expect(parameters["layer"] as? String == "conv10" && parameters["size"] as? Int == 64)
        let input = try #require(form.job["input"] as? [String: Any])
        #expect(input["width"] as? Int == 64 && input["height"] as? Int == 64 && input["channels"] as? Int == 3)
        let id = try #require(form.job["id"] as? String)
        #expect(try curl(["\(dipd.base)/v1/jobs/\(id)/input"]).status == 404)

        let raw = try curl(["-X", "POST", "\(dipd.base)/v1/jobs?task=activation&class=Goldfish&size=48&iterations=2"])
        #expect(raw.status == 202, "\(raw.json)")
        let rawJob = try poll(dipd, try #require(raw.json["id"] as? String)) { ["succeeded", "failed"].contains(state($0)) }
        #expect(state(rawJob) == "succeeded" && (rawJob["parameters"] as? [String: Any])?["class"] as? Int == 1, "\(rawJob)")
        let json = try Self.run(dipd, ["-F", #"spec={"task":"activation","class":"tench","size":48,"iterations":2};type=application/json"#])
        #expect(json.result.width == 48 && (json.job["parameters"] as? [String: Any])?["class"] as? Int == 0)

        // An image is refused, as are a class that names two and one that names none.
        let dir = try temporaryDirectory("dipd-activation")
        let building = try Self.crop("feature_inversion/building.jpg", size: 64, to: dir)
        let image = try curl(["-F", "image=@\(building)", "-F", "task=activation", "-F", "class=1", "\(dipd.base)/v1/jobs"])
        #expect(image.status == 422 && image.errorMessage.hasPrefix("image: task activation takes no image"), "\(image.errorMessage)")
        let crane = try curl(["-F", "task=activation", "-F", "class=crane", "\(dipd.base)/v1/jobs"])
        #expect(crane.status == 422 && crane.errorMessage.hasPrefix("class: ") && crane.errorMessage.contains("134"), "\(crane.errorMessage)")
        let none = try curl(["-F", "task=activation", "\(dipd.base)/v1/jobs"])
        #expect(none.status == 422 && none.errorMessage.hasPrefix("class: activation needs a class"), "\(none.errorMessage)")
        let denoise = try curl(["-F", "task=denoise", "\(dipd.base)/v1/jobs"])
        #expect(denoise.status == 422 && denoise.errorMessage.hasPrefix("image: is required"), "\(denoise.errorMessage)")
        #expect(dipd.stop() == 0)
    }

    @Test func preimageNeedsConfiguredWeights() throws {
        let dipd = try Dipd()
        let dir = try temporaryDirectory("dipd-noweights")
        let building = try Self.crop("feature_inversion/building.jpg", size: 64, to: dir)
        let r = try curl(["-F", "image=@\(building)", "-F", "task=preimage", "\(dipd.base)/v1/jobs"])
        #expect(r.status == 422 && r.errorMessage.contains("preimage_weights"))
        let activation = try curl(["-F", "task=activation", "-F", "class=1", "\(dipd.base)/v1/jobs"])
        #expect(activation.status == 422 && activation.errorMessage.contains("activation needs a pretrained classifier")
                && activation.errorMessage.contains("preimage_weights"), "\(activation.errorMessage)")
        let tasks = try curl(["\(dipd.base)/version"]).json["tasks"] as? [String] ?? []
        #expect(!tasks.contains("preimage") && !tasks.contains("activation"))
        #expect(dipd.stop() == 0)
        // A weights file that cannot be read stops the start.
        #expect(throws: TestFailure.self) { _ = try Dipd(environment: ["DIPD_PREIMAGE_WEIGHTS": "/nonexistent.safetensors"]) }
    }
}
