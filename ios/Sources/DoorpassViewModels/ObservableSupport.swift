// SwiftUI observes the view models through Combine's `ObservableObject` and `@Published`. Combine
// exists only on Apple platforms; on Linux, where the view models are tested against the real
// core, these two stand-ins keep the same source compiling (nothing observes them there). Each
// view-model file imports Combine itself where it exists.

#if !canImport(Combine)
/// Stand-in for Combine's `ObservableObject` where Combine does not exist (Linux tests).
public protocol ObservableObject: AnyObject {}

/// Stand-in for Combine's `@Published` where Combine does not exist: it only stores the value.
@propertyWrapper
public struct Published<Value> {
    /// The stored value.
    public var wrappedValue: Value

    /// Stores `wrappedValue`.
    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }
}
#endif
