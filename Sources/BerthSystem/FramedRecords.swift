/// Files of length-prefixed records: each record is a 4-byte big-endian
/// length and that many bytes. The shim's event journal and berthd's event
/// log are such files; a crash can leave a torn last record, which readers
/// skip.
public enum FramedRecords {
    /// The size of a record's length prefix.
    public static let prefixSize = 4

    /// `payload` with its length prefix.
    public static func frame(_ payload: some Collection<UInt8>) -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: payload.count)
        var record: [UInt8] = [
            UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
            UInt8(truncatingIfNeeded: length),
        ]
        record.reserveCapacity(prefixSize + payload.count)
        record += payload
        return record
    }

    /// The payloads of the complete records of `data`, in order, and the
    /// index where the last complete record ends. A record that is torn, or
    /// longer than `maximumLength`, ends the scan.
    public static func payloads<Bytes: RandomAccessCollection<UInt8>>(
        in data: Bytes, maximumLength: Int = Int(UInt32.max)
    ) -> (ranges: [Range<Int>], end: Int) where Bytes.Index == Int {
        var ranges: [Range<Int>] = []
        var index = data.startIndex
        while data.endIndex - index >= prefixSize {
            let length =
                Int(data[index]) << 24 | Int(data[index + 1]) << 16 | Int(data[index + 2]) << 8 | Int(data[index + 3])
            let start = index + prefixSize
            guard length <= maximumLength, data.endIndex - start >= length else { break }
            ranges.append(start..<(start + length))
            index = start + length
        }
        return (ranges, index)
    }
}
