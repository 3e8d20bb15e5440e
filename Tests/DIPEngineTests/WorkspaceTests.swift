import Testing
@testable import DIPEngine

@Suite("Workspace")
struct WorkspaceTests {
    /// The gradient pool settles in the first iterations (in two for this network: the second
    /// trades two buffers for larger ones); later ones allocate nothing, though the gradients
    /// come in many sizes (4 to 132 channels, five scales).
    @Test func trainingIterationsAllocateNothingAfterTheFirst() throws {
        let net = try SkipNetwork(.denoising())
        net.initialize(seed: 1)
        let compute = Compute(threads: 2)
        let z = NetworkInput.noise(channels: 32).make(height: 64, width: 64, seed: 1)
        let target = Tensor(Shape(3, 64, 64)), gradient = Tensor(Shape(3, 64, 64))
        var counts: [Int] = []
        for _ in 0..<5 {
            net.zeroGrad()
            let out = net.forward(z, compute)
            _ = MSELoss.evaluate(output: out, target: target, gradient: gradient, compute: compute)
            net.backward(gradient, compute)
            counts.append(compute.workspace.gradientAllocations)
        }
        #expect(counts[0] > 0 && counts[1] <= counts[0] + 4 && counts[2...].allSatisfy { $0 == counts[1] },
                "allocations after each iteration: \(counts)")
    }
}
