import Alignment
import Tensors
import Testing
import Encoder

/// The 50 regions built from pool5 and the whole-image vector.
@Suite struct ImageRegionsTests {
    @Test func cellsInRowMajorOrderThenTheWholeImage() {
        // pool5 [7, 7, 4]: cell (y, x) channel c holds 100·y + 10·x + c.
        var pool5 = [Float]()
        for y in 0..<7 { for x in 0..<7 { for c in 0..<4 { pool5.append(Float(100 * y + 10 * x + c)) } } }
        let regions = ImageRegions.from(pool5: Tensor(shape: [7, 7, 4], data: pool5), vector: [-1, -2, -3, -4])
        #expect(regions.shape == [ImageRegions.count, 4])
        #expect(Array(regions.data[(4 * (3 * 7 + 5))..<(4 * (3 * 7 + 5) + 4)]) == [350, 351, 352, 353])
        #expect(Array(regions.data[(49 * 4)...]) == [-1, -2, -3, -4])
        #expect(ImageRegions.cell(ofRegion: 3 * 7 + 5)! == (row: 3, column: 5))
        #expect(ImageRegions.cell(ofRegion: 0)! == (row: 0, column: 0))
        #expect(ImageRegions.cell(ofRegion: 49) == nil)
    }
}
