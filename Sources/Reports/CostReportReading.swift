import FiniteWidth

extension CostReport {
    /// The runs in a curves table and a cost table written by `curvesTable` and `costTable` (a
    /// cost shard's folder), in the order of their first curve rows. A method whose curve or outer
    /// rate is missing or unreadable is left out (it was interrupted and is trained again).
    public static func runs(curves: CSVTable, costs: CSVTable) -> [Run] {
        var rates: [FiniteMethod: Double] = [:]
        for row in costs.rows where row.count >= 2 {
            if let method = FiniteMethod(rawValue: row[0]), let rate = Double(row[1]) { rates[method] = rate }
        }
        var order: [FiniteMethod] = [], entries: [FiniteMethod: [TrainingLogEntry]] = [:], broken: Set<FiniteMethod> = []
        for row in curves.rows where row.count == 5 {
            guard let method = FiniteMethod(rawValue: row[0]) else { continue }
            guard let step = Int(row[1]), let seconds = Double(row[2]), let outer = Double(row[3]) else {
                broken.insert(method)
                continue
            }
            if entries[method] == nil { order.append(method) }
            entries[method, default: []].append(TrainingLogEntry(step: step, outerLoss: outer, seconds: seconds,
                                                                 testLoss: Double(row[4])))
        }
        return order.compactMap { method in
            guard !broken.contains(method), let rate = rates[method], let log = entries[method] else { return nil }
            return Run(method: method, outerRate: rate, log: TrainingLog(entries: log))
        }
    }
}
