import BerthAPI
import Foundation

/// Draws a pull's progress: one line per layer with its status, size and
/// speed. On a terminal the lines are redrawn in place (at most ten times a
/// second); otherwise a line is printed each time a layer's status changes.
struct PullDisplay {
    private struct Layer {
        var digest: String
        var total: Int64
        var offset: Int64 = 0
        var status: Berth_Services_Images_V1_BlobStatus = .waiting
        /// When the download started, and from which offset.
        var started: ContinuousClock.Instant?
        var startOffset: Int64 = 0
        /// When the layer finished downloading.
        var finished: ContinuousClock.Instant?
    }

    let interactive: Bool
    let silent: Bool
    private var layers: [Layer] = []
    private var drawnLines = 0
    private var lastDraw: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    init(interactive: Bool, silent: Bool) {
        self.interactive = interactive
        self.silent = silent
    }

    mutating func update(_ blob: Berth_Services_Images_V1_BlobProgress) {
        guard blob.kind == "layer" else { return }
        let now = clock.now
        let index: Int
        let isNew: Bool
        if let found = layers.firstIndex(where: { $0.digest == blob.digest }) {
            index = found
            isNew = false
        } else {
            layers.append(Layer(digest: blob.digest, total: blob.total))
            index = layers.count - 1
            isNew = true
        }
        var layer = layers[index]
        let previous = layer.status
        if blob.status == .downloading, layer.started == nil {
            layer.started = now
            layer.startOffset = blob.offset
        }
        if [.verifying, .unpacking, .done].contains(blob.status), layer.finished == nil, layer.started != nil {
            layer.finished = now
        }
        layer.offset = blob.offset
        layer.status = blob.status
        layers[index] = layer
        guard !silent else { return }
        if interactive {
            if !isNew, blob.status == previous, let lastDraw, now - lastDraw < .milliseconds(100) { return }
            redraw(now)
        } else if isNew || blob.status != previous {
            print(line(layer, now: now))
        }
    }

    /// Draws the final state.
    mutating func finish() {
        guard !silent, interactive else { return }
        redraw(clock.now)
    }

    private mutating func redraw(_ now: ContinuousClock.Instant) {
        var out = ""
        if drawnLines > 0 {
            out += "\u{1B}[\(drawnLines)A"
        }
        for layer in layers {
            out += "\u{1B}[2K" + line(layer, now: now) + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        drawnLines = layers.count
        lastDraw = now
    }

    private func line(_ layer: Layer, now: ContinuousClock.Instant) -> String {
        let short = layer.digest.hasPrefix("sha256:") ? String(layer.digest.dropFirst(7).prefix(12)) : layer.digest
        let status = Self.name(layer.status)
        var text = "\(short)  \(status.padding(toLength: 11, withPad: " ", startingAt: 0))  "
        switch layer.status {
        case .downloading, .verifying, .retrying:
            text += "\(ByteFormat.size(layer.offset)) / \(ByteFormat.size(layer.total))"
        default:
            text += ByteFormat.size(layer.total)
        }
        if let started = layer.started {
            let elapsed = (layer.finished ?? now) - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if seconds > 0.05 {
                text += "  " + ByteFormat.rate(Double(layer.offset - layer.startOffset) / seconds)
            }
        }
        return text
    }

    static func name(_ status: Berth_Services_Images_V1_BlobStatus) -> String {
        switch status {
        case .waiting: "waiting"
        case .downloading: "downloading"
        case .verifying: "verifying"
        case .unpacking: "unpacking"
        case .done: "done"
        case .exists: "exists"
        case .retrying: "retrying"
        case .UNRECOGNIZED(let value): "status \(value)"
        }
    }
}
