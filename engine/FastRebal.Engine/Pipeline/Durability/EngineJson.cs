using System.Text.Json.Serialization;
using FastRebal.Engine.Orders.Slicing;

namespace FastRebal.Engine.Pipeline;

/// <summary>
/// Compiled JSON metadata for what a checkpoint holds many of, or a recovery reads first (held plans, open child
/// orders): reflection would spend a recovery's first hundreds of milliseconds building it.
/// </summary>
[JsonSerializable(typeof(HeldPlan))]
[JsonSerializable(typeof(ChildOrder))]
internal sealed partial class EngineJson : JsonSerializerContext;
