import Foundation
import Tensors
import Testing

/// `Parallel.forEach` over the process's worker pool: every index runs exactly once, the call
/// returns only when all have run, and calls from inside a body or from several threads at once
/// neither deadlock nor lose work.
@Suite struct ParallelTests {
    /// Runs `forEach(count)` and returns how many times each index ran.
    static func runs(_ count: Int, body: (Int) -> Void = { _ in }) -> [Int] {
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(count) { index in
                body(index)
                target.value[index] += 1
            }
        }
        return hits
    }

    @Test(arguments: [0, 1, 2, 3, 17, 1000])
    func everyIndexRunsOnce(count: Int) {
        for _ in 0..<50 { #expect(Self.runs(count) == [Int](repeating: 1, count: count)) }
    }

    @Test func theCallWaitsForSlowIndices() {
        // Every index is slow, so the workers take some: all writes must be visible on return.
        let count = 2 * Parallel.workers
        var done = [Bool](repeating: false, count: count)
        done.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(count) { index in
                Thread.sleep(forTimeInterval: 0.02)
                target.value[index] = true
            }
        }
        #expect(done == [Bool](repeating: true, count: count))
    }

    @Test func nestedCallsRunInline() {
        var inner = [[Int]](repeating: [], count: 6)
        inner.withUnsafeMutableBufferPointer { buffer in
            let target = UncheckedSendable(buffer)
            Parallel.forEach(6) { index in target.value[index] = Self.runs(5 + index) }
        }
        for (index, hits) in inner.enumerated() { #expect(hits == [Int](repeating: 1, count: 5 + index)) }
    }

    @Test func callsFromSeveralThreadsAtOnce() {
        // Four threads calling at once: one holds the workers, the others run inline.
        let group = DispatchGroup()
        let results = UncheckedSendable(UnsafeMutableBufferPointer<Bool>.allocate(capacity: 4))
        defer { results.value.deallocate() }
        for thread in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                var ok = true
                for round in 0..<200 { ok = ok && Self.runs(3 + (thread + round) % 7) == [Int](repeating: 1, count: 3 + (thread + round) % 7) }
                results.value[thread] = ok
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 60) == .success, "a call never returned")
        #expect(Array(results.value) == [true, true, true, true])
    }
}
