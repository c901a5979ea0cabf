import Foundation
import Synchronization

/// Ctrl-C (SIGINT) as a flag that long work polls between items, so it can finish the line it is
/// writing, print its summary and exit 130 instead of dying mid-write. A second Ctrl-C ends the
/// process at once.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    public static var requested: Bool { flag.load(ordering: .relaxed) }

    public static func install() {
        // A parent may have spawned us with SIGINT blocked (the mask is inherited across exec,
        // and some launchers spawn from threads that block signals); unblock it here.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            // Only async-signal-safe work here: an atomic store and restoring the default action.
            Interruption.flag.store(true, ordering: .relaxed)
            signal(SIGINT, SIG_DFL)
        }
    }
}
