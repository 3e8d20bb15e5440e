import DIPEngine
import Foundation
import TestData
import Testing
@testable import JobService

/// The activation task's spec: `class` by index or name, what the task takes and refuses,
/// and its effective parameters.
@Suite("task spec: activation")
struct ActivationSpecTests {
    let parser = SpecParser(maxIterations: 10_000, maxSnapshots: 100)

    func refusal(_ json: String) -> SpecError? {
        do { _ = try parser.parse(json: Array(json.utf8)); return nil } catch { return error }
    }

    func refusal(text fields: [(String, String)]) -> SpecError? {
        do { _ = try parser.parse(text: fields.map { (name: $0.0, value: $0.1) }); return nil } catch { return error }
    }

    @Test func theNamesAreThoseOfTheClassifiersSynsetFile() throws {
        let lines = try String(contentsOf: TestData.synsetWords, encoding: .utf8).split(separator: "\n")
        #expect(lines.map { String($0.split(separator: " ", maxSplits: 1)[1]) } == ImageNetClasses.words)
        #expect(ImageNetClasses.names(1) == ["goldfish", "Carassius auratus"])
    }

    @Test func classIsAnIndexOrAName() throws {
        func parsed(_ json: String) throws -> Int? { try parser.parse(json: Array(json.utf8)).class }
        #expect(try parsed(#"{"task":"activation","class":1}"#) == 1)
        #expect(try parsed(#"{"task":"activation","class":"999"}"#) == 999)
        #expect(try parsed(#"{"task":"activation","class":"goldfish"}"#) == 1)
        #expect(try parsed(#"{"task":"activation","class":" Tench "}"#) == 0)
        #expect(try parsed(#"{"task":"activation","class":"tinca TINCA"}"#) == 0)
        #expect(try parsed(#"{"task":"activation","class":"tank suit"}"#) == 639)
        #expect(try parsed(#"{"task":"activation"}"#) == nil)
        // Forms give every field as text.
        #expect(try parser.parse(text: [("task", "activation"), ("class", "0")]).class == 0)
        #expect(try parser.parse(text: [("task", "activation"), ("class", "great white shark"), ("size", "64")]).class == 2)
        #expect(try parser.parse(text: [("task", "activation"), ("class", "1"), ("size", "64")]).size == 64)
        // The record on disk keeps the index under the name users wrote.
        let spec = try parser.parse(json: Array(#"{"task":"activation","class":"goldfish","size":96}"#.utf8))
        let stored = String(decoding: try JSONEncoder.service().encode(spec), as: UTF8.self)
        #expect(stored.contains(#""class":1"#) && stored.contains(#""size":96"#), "\(stored)")
        #expect(try JSONDecoder.service().decode(TaskSpec.self, from: Data(stored.utf8)) == spec)
    }

    @Test func unknownAndAmbiguousClassesAreRefusedNamingTheField() throws {
        let crane = try #require(refusal(#"{"task":"activation","class":"crane"}"#))
        #expect(crane.field == "class" && crane.problem.contains("134 (crane)") && crane.problem.contains("517 (crane)")
                && crane.problem.contains("give the index"), "\(crane)")
        #expect(refusal(text: [("task", "activation"), ("class", "Maillot")])?.problem.contains("638") == true)
        let unicorn = try #require(refusal(#"{"task":"activation","class":"unicorn"}"#))
        #expect(unicorn.field == "class" && unicorn.problem.contains("is no ImageNet class") && unicorn.problem.contains("goldfish"), "\(unicorn)")
        // A part of a name is no name, but the classes it is part of are suggested.
        let gold = try #require(refusal(#"{"task":"activation","class":"gold"}"#))
        #expect(gold.field == "class" && gold.problem.contains("1 (goldfish)"), "\(gold)")
        for bad in [#""class":1000"#, #""class":-1"#, #""class":1.5"#, #""class":"1000""#, #""class":true"#, #""class":"""#,
                    #""class":[1]"#] {
            #expect(refusal(#"{"task":"activation",\#(bad)}"#)?.field == "class", "\(bad)")
        }
        #expect(refusal(text: [("task", "activation"), ("class", "-1")])?.field == "class")
        #expect(refusal(#"{"task":"activation","class":1,"size":31}"#)?.field == "size")
        #expect(refusal(#"{"task":"activation","class":1,"size":1025}"#)?.field == "size")
    }

    @Test func activationTakesAClassAndNoImage() throws {
        func check(_ json: String, image: Bool = false, mask: Bool = false) -> SpecError? {
            do {
                try TaskCatalog.check(parser.parse(json: Array(json.utf8)), hasImage: image, hasMask: mask, hasGuide: false)
                return nil
            } catch { return error }
        }
        #expect(TaskCatalog.image(.activation) == .forbidden && TaskCatalog.image(.preimage) == .required)
        #expect(TaskCatalog.needsClassifier(.activation) && !TaskCatalog.needsClassifier(.denoise))
        #expect(check(#"{"task":"activation","class":1}"#) == nil)
        #expect(check(#"{"task":"activation","class":1,"layer":"fire9","size":64}"#) == nil)
        #expect(check(#"{"task":"activation","class":1}"#, image: true)?.field == "image")
        #expect(check(#"{"task":"activation","class":1}"#, mask: true)?.field == "mask")
        #expect(check(#"{"task":"activation"}"#)?.field == "class")
        #expect(check(#"{"task":"activation","class":1,"preset":"fast"}"#)?.field == "preset")
        #expect(check(#"{"task":"denoise"}"#) == SpecError("image", "is required: the image to restore, as a file part named image"))
        #expect(check(#"{"task":"denoise","class":1}"#, image: true) == SpecError("class", "only activation takes a class"))
        #expect(check(#"{"task":"preimage","size":64}"#, image: true)?.field == "size")
        #expect(check(#"{"task":"denoise","layer":"conv10"}"#, image: true)?.field == "layer")
        #expect(check(#"{"task":"preimage","layer":"conv10"}"#, image: true) == nil)
    }

    @Test func effectiveParametersShowTheClassLayerAndSize() throws {
        let provider = try ClassifierProvider(weightsPath: TestData.squeezeNetParam.path)
        func parameters(_ json: String) throws -> EffectiveParameters {
            try TaskCatalog.parameters(parser.parse(json: Array(json.utf8)), imageChannels: nil, guideChannels: nil,
                                       threads: 1, classifier: provider.make)
        }
        let standard = try parameters(#"{"task":"activation","class":"goldfish"}"#)
        #expect(standard.class == 1 && standard.layer == "conv10" && standard.size == 224 && standard.preset == nil)
        #expect(standard.iterations == 3100 && standard.learningRate == 0.01 && standard.regNoise == 0.03 && standard.autoStop == false)
        let encoded = String(decoding: try JSONEncoder.service().encode(standard), as: UTF8.self)
        #expect(encoded.contains(#""class":1"#) && encoded.contains(#""layer":"conv10""#), "\(encoded)")
        let inner = try parameters(#"{"task":"activation","class":511,"layer":"fire9","size":64,"iterations":20}"#)
        #expect(inner.class == 511 && inner.layer == "fire9" && inner.size == 64 && inner.iterations == 20 && inner.learningRate == 0.001)
        // fire9 has 512 channels: beyond them, class is refused.
        #expect(throws: SpecError.self) { try parameters(#"{"task":"activation","class":512,"layer":"fire9"}"#) }
        // Other tasks show none of them.
        let denoise = try TaskCatalog.parameters(parser.parse(json: Array(#"{"task":"denoise"}"#.utf8)), imageChannels: 3,
                                                 guideChannels: nil, threads: 1, classifier: { nil })
        #expect(denoise.class == nil && denoise.size == nil && denoise.layer == nil)
        // Without a classifier the task cannot be built.
        #expect(throws: SpecError("task", "activation needs a pretrained classifier, and this service has none configured (preimage_weights)")) {
            try TaskCatalog.parameters(parser.parse(json: Array(#"{"task":"activation","class":1}"#.utf8)), imageChannels: nil,
                                       guideChannels: nil, threads: 1, classifier: { nil })
        }
    }
}
