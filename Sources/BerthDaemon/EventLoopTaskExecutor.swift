import NIOCore

/// A task executor that runs jobs on one NIO event loop. berthd serves its
/// gRPC API on a single-threaded event loop group and runs the handlers
/// there too (`withTaskExecutorPreference`), so a call's bytes and its
/// handler stay on one thread instead of hopping to Swift's cooperative
/// pool and back for every call.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
