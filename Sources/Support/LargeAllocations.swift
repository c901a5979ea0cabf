/// How the process's large buffers go back to the system.
public enum LargeAllocations {
    /// Blocks of 4 MB and more are mapped on their own and unmapped when freed.
    ///
    /// glibc raises its mmap threshold to the largest block freed so far (up to 32 MB), after
    /// which blocks that size stay in the heap once freed. The encoder frees a 13 MB activation
    /// per early layer, so without this the heap keeps them, and one `caption photo.jpg` peaked
    /// 15 MB higher (209 MB against 193 MB, `/usr/bin/time -v`). Fixing the threshold costs a
    /// fresh zeroed page per 4 KB of such blocks at every allocation: ~20 ms on one photo, but
    /// 40% on a warm encoder that runs again and again, so only one-shot commands ask for it.
    public static func returnToSystemWhenFreed() {
        #if os(Linux)
        _ = glibcMallopt(mmapThreshold, 4 << 20)
        #endif
    }

    /// Hands the heap's free pages back to the system now (glibc's `malloc_trim`). Loading a
    /// captioner reads its float16 file into float32 tensors and packs them back into float16
    /// panels: the float32 blocks under 4 MB (query, initial-state and output weights, 21 MB for
    /// the shipped model) are freed into the heap, where they stayed resident through the
    /// encoder's run (peak 218 MB against 194 MB trimmed, `/usr/bin/time`).
    public static func returnFreedPages() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
/// glibc's `mallopt` and its `M_MMAP_THRESHOLD` (malloc.h), which the Glibc module does not export.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let mmapThreshold: Int32 = -3
#endif
