namespace Orleans.Bank;

/// <summary>
/// An account. Every debit and credit names its transfer, and the account records the ids it
/// applied, so a retried call (its first attempt's outcome unknown) applies at most once.
/// </summary>
public interface IAccountGrain : IGrainWithIntegerKey
{
    /// <summary>Sets the opening balance, once.</summary>
    Task Open(long balance);

    /// <summary>Takes <paramref name="amount"/> for transfer <paramref name="transfer"/>; false (and nothing recorded) when funds are short.</summary>
    Task<bool> Debit(long transfer, long amount);

    /// <summary>Adds <paramref name="amount"/> for transfer <paramref name="transfer"/>.</summary>
    Task Credit(long transfer, long amount);
}

[GenerateSerializer]
public sealed class AccountState
{
    [Id(0)] public long Balance { get; set; }

    [Id(1)] public HashSet<long> Debits { get; set; } = [];

    [Id(2)] public HashSet<long> Credits { get; set; } = [];
}

public sealed class AccountGrain([PersistentState("account", "bank")] IPersistentState<AccountState> account) : Grain, IAccountGrain
{
    public Task Open(long balance)
    {
        if (account.RecordExists)
        {
            return Task.CompletedTask;
        }

        account.State.Balance = balance;
        return SaveAsync();
    }

    public async Task<bool> Debit(long transfer, long amount)
    {
        if (account.State.Debits.Contains(transfer))
        {
            return true;
        }

        if (account.State.Balance < amount)
        {
            return false;
        }

        account.State.Balance -= amount;
        account.State.Debits.Add(transfer);
        await SaveAsync();
        return true;
    }

    public Task Credit(long transfer, long amount)
    {
        if (!account.State.Credits.Add(transfer))
        {
            return Task.CompletedTask;
        }

        account.State.Balance += amount;
        return SaveAsync();
    }

    private async Task SaveAsync()
    {
        try
        {
            await account.WriteStateAsync();
        }
        catch
        {
            // The write may or may not have applied: take what the replicas hold, whichever it is,
            // so the caller's retry sees the truth. If even that fails, start afresh elsewhere.
            try
            {
                await account.ReadStateAsync();
            }
            catch
            {
                DeactivateOnIdle();
            }

            throw;
        }
    }
}
