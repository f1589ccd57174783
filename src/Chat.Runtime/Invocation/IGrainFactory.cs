namespace Chat.Runtime;

/// <summary>Creates grain references. No I/O: the grain activates on its first call.</summary>
public interface IGrainFactory
{
    /// <summary>A reference to the grain with a Guid key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
        where TGrainInterface : IGrainWithGuidKey;

    /// <summary>A reference to the grain with an integer key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
        where TGrainInterface : IGrainWithIntegerKey;

    /// <summary>A reference to the grain with a string key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
        where TGrainInterface : IGrainWithStringKey;

    /// <summary>A reference to the grain with a Guid + string compound key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithGuidCompoundKey;

    /// <summary>A reference to the grain with an integer + string compound key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithIntegerCompoundKey;

    /// <summary>A reference to the grain with the given id through the given interface.</summary>
    TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable;

    /// <summary>A reference to the grain with the given id through the given interface type.</summary>
    IAddressable GetGrain(Type grainInterface, GrainId grainId);

    /// <summary>The grain type name that <paramref name="grainInterface"/> addresses.</summary>
    string GetGrainType(Type grainInterface);
}

/// <summary>Conveniences over <see cref="IGrainFactory"/>.</summary>
public static class GrainFactoryExtensions
{
    /// <summary>Casts a reference to another grain interface of the same grain id.</summary>
    public static TGrainInterface AsReference<TGrainInterface>(this IAddressable grain, IGrainFactory factory)
        where TGrainInterface : IAddressable =>
        factory.GetGrain<TGrainInterface>(grain.GetGrainId());
}
