namespace Lstm.Layers;

/// <summary>The contract <see cref="TimeLSTM"/> and <see cref="TimeRNN"/> share, so a model can stack either.</summary>
internal interface IRecurrentLayer
{
    ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, int batchSize, int timeSteps);

    ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dhs);

    void ResetState();
}
