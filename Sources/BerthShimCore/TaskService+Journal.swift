import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

extension TaskService {
    /// The most events one Replay page returns.
    static let replayPageLimit = 256

    /// Registers `berth.shim.v1.Journal` (Replay, Ack).
    func registerJournal(on server: TTRPCServer) {
        route(
            server, JournalService.Method.replay.rawValue, Berth_Shim_V1_ReplayRequest.self,
            service: JournalService.name
        ) { [unowned self] in try self.replay($0) }
        route(
            server, JournalService.Method.ack.rawValue, Berth_Shim_V1_AckRequest.self, service: JournalService.name
        ) { [unowned self] in try self.acknowledge($0) }
    }

    func replay(_ request: Berth_Shim_V1_ReplayRequest) throws(ShimError) -> any Message {
        guard request.id == configuration.id else { throw .containerNotCreated }
        let journal = publisher.journal
        let limit = request.maxEvents == 0 ? Self.replayPageLimit : min(Int(request.maxEvents), Self.replayPageLimit)
        var response = Berth_Shim_V1_ReplayResponse()
        response.events = journal.events(after: request.afterSequence, limit: limit)
        response.lastSequence = journal.lastSequence
        response.firstRetained = journal.firstRetained
        return response
    }

    func acknowledge(_ request: Berth_Shim_V1_AckRequest) throws(ShimError) -> any Message {
        guard request.id == configuration.id else { throw .containerNotCreated }
        publisher.journal.acknowledge(through: request.sequence)
        return Google_Protobuf_Empty()
    }
}
