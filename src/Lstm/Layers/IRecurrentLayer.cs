namespace Lstm.Layers;

/// <summary>The contract <see cref="TimeLSTM"/> and <see cref="TimeRNN"/> share, so a model can stack either.</summary>
internal interface IRecurrentLayer
{
    ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, int batchSize, int timeSteps);

    ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dhs);

    void ResetState();

    /// <summary>A copy of the carried state (h, then c for an LSTM), or empty when there is none.</summary>
    float[] SaveState();

    /// <summary>Restores a state from <see cref="SaveState"/> (empty: no state).</summary>
    void RestoreState(float[] state);
}
