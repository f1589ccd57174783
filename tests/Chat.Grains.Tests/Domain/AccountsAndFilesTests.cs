using System.Collections.Immutable;
using System.IO.Compression;
using Chat.Grains.Tests.Infrastructure;
using Npgsql;

namespace Chat.Grains.Tests.Domain;

/// <summary>Registration and login, organizations, attachments, search paging, and the error contract.</summary>
public sealed class AccountsAndFilesTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    private IAccountGrain Account(string username) => Silo.Grains.GetGrain<IAccountGrain>(AccountKey.For(username));

    [Fact]
    public async Task Registration_checks_the_username_and_stores_only_a_salted_slow_hash()
    {
        var username = "Reg_" + Guid.NewGuid().ToString("N")[..10];
        var profile = await Account(username).Register(new RegisterRequest(username, "s3cret-password", Email: $"{username}@example.com")).WaitAsync(ChatSilo.Timeout);

        Assert.Equal(username, profile.DisplayName);
        await Expect.Error(ChatErrorCodes.Conflict, () => Account(username.ToUpperInvariant()).Register(new RegisterRequest(username.ToUpperInvariant(), "another-password")));
        await Expect.Error(ChatErrorCodes.Conflict, () => Account("other" + username).Register(new RegisterRequest("other" + username, "another-password", Email: $"{username}@EXAMPLE.com")));
        foreach (var bad in new[] { "ab", "has space", "dash-ed", new string('a', 51), "<script>" })
        {
            await Expect.Error(ChatErrorCodes.ValidationError, () => Account(bad).Register(new RegisterRequest(bad, "long-enough-password")));
        }

        await Expect.Error(ChatErrorCodes.ValidationError, () => Account("shortpw_user").Register(new RegisterRequest("shortpw_user", "short")));
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT password_hash FROM users WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = profile.Id });
        var hash = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain("s3cret", hash, StringComparison.Ordinal);
        Assert.Equal(0x01, Convert.FromBase64String(hash)[0]); // Identity v3 format: PBKDF2 with a per-user salt
    }

    [Fact]
    public async Task Login_accepts_the_right_password_only_and_says_nothing_about_unknown_users()
    {
        var user = await Silo.RegisterAsync("login");

        Assert.Equal(user.Id, (await Account(user.Username).VerifyPassword("correct horse battery").WaitAsync(ChatSilo.Timeout)).Id);
        Assert.Equal(user.Id, (await Account(user.Username.ToUpperInvariant()).Find().WaitAsync(ChatSilo.Timeout))!.Id);
        var wrong = await Expect.Error(ChatErrorCodes.Unauthorized, () => Account(user.Username).VerifyPassword("wrong"));
        var unknown = await Expect.Error(ChatErrorCodes.Unauthorized, () => Account("nobody_" + Guid.NewGuid().ToString("N")[..8]).VerifyPassword("wrong"));
        Assert.Equal(wrong.Message, unknown.Message);
        Assert.Null(await Account("nobody_here").Find().WaitAsync(ChatSilo.Timeout));
    }

    [Fact]
    public async Task Owners_and_admins_add_members_and_the_directory_filters_by_query()
    {
        var owner = await Silo.RegisterAsync("own");
        var admin = await Silo.RegisterAsync("adm");
        var member = await Silo.RegisterAsync("mem");
        var newcomer = await Silo.RegisterAsync("newbie");
        var org = await Silo.OrganizationAsync(owner);
        await Silo.Organization(org).AddMember(owner.Id, admin.Username, Role.Admin).WaitAsync(ChatSilo.Timeout);
        await Silo.Organization(org).AddMember(admin.Id, member.Username).WaitAsync(ChatSilo.Timeout);

        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).AddMember(member.Id, newcomer.Username));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).AddMember(admin.Id, newcomer.Username, Role.Admin));
        await Expect.Error(ChatErrorCodes.Conflict, () => Silo.Organization(org).AddMember(owner.Id, member.Username));
        await Expect.Error(ChatErrorCodes.NotFound, () => Silo.Organization(org).AddMember(owner.Id, "no_such_user_x"));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).RemoveMember(admin.Id, owner.Id));
        await Expect.Error(ChatErrorCodes.Conflict, () => Silo.Organization(org).RemoveMember(owner.Id, owner.Id));

        var all = await Silo.Organization(org).GetMembers(member.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(3, all.Members.Length);
        var filtered = await Silo.Organization(org).GetMembers(member.Id, "ADM").WaitAsync(ChatSilo.Timeout);
        Assert.Equal(admin.Id, Assert.Single(filtered.Members).UserId);
        var organizations = await Silo.User(member.Id).GetOrganizations().WaitAsync(ChatSilo.Timeout);
        Assert.Equal((org, Role.Member), (organizations.Single().OrganizationId, organizations.Single().Role));
    }

    [Fact]
    public async Task Uploads_are_typed_by_their_content_and_limited_in_size_and_number()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        Task<AttachmentInfo> Upload(UserProfile who, string name, byte[] content, string? declared = null) =>
            Silo.Grains.GetGrain<IAttachmentGrain>(Guid.NewGuid()).Upload(who.Id, new AttachmentUpload(name, declared, content.ToArray())).WaitAsync(ChatSilo.Timeout);

        Assert.Equal("image/png", (await Upload(a, "fake.pdf", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1], "application/pdf")).ContentType);
        Assert.Equal("image/gif", (await Upload(a, "g.gif", "GIF89a...."u8.ToArray())).ContentType);
        Assert.Equal("image/webp", (await Upload(a, "w.webp", "RIFF\0\0\0\0WEBPVP8 "u8.ToArray())).ContentType);
        Assert.Equal("application/pdf", (await Upload(a, "d.pdf", "%PDF-1.7\n"u8.ToArray())).ContentType);
        Assert.EndsWith("wordprocessingml.document", (await Upload(a, "d.docx", Zip("word/document.xml"))).ContentType, StringComparison.Ordinal);
        Assert.EndsWith("spreadsheetml.sheet", (await Upload(a, "s.xlsx", Zip("xl/workbook.xml"))).ContentType, StringComparison.Ordinal);
        Assert.Equal("application/vnd.ms-excel", (await Upload(a, "old.xls", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0])).ContentType);
        await Expect.Error(ChatErrorCodes.InvalidFileType, () => Upload(a, "evil.png", "MZ\x90\0 this is an exe"u8.ToArray(), "image/png"));
        await Expect.Error(ChatErrorCodes.InvalidFileType, () => Upload(a, "plain.zip", Zip("readme.txt")));
        await Expect.Error(ChatErrorCodes.InvalidFileType, () => Upload(a, "page.html", "<html><script>x</script>"u8.ToArray()));
        var tooBig = new byte[10 * 1024 * 1024 + 1];
        "%PDF-"u8.CopyTo(tooBig);
        await Expect.Error(ChatErrorCodes.FileTooLarge, () => Upload(a, "big.pdf", tooBig));

        var six = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            six.Add((await Upload(a, $"p{i}.pdf", "%PDF-1.4"u8.ToArray())).Id);
        }

        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(dm.Id, a, "six", attachments: [.. six]));
        var bobs = await Upload(b, "b.pdf", "%PDF-1.4"u8.ToArray());
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(dm.Id, a, "not mine", attachments: [bobs.Id]));
        var sent = await Silo.SendAsync(dm.Id, a, "", attachments: [.. six.Take(5)]);
        Assert.Equal(5, sent.Attachments.Length);
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(dm.Id, a, "again", attachments: [six[0]]));
        Assert.Equal(5, (await Silo.InboxWhenAsync(b, i => i.Conversations.Any(e => e.LastMessage?.AttachmentCount == 5), "attachment count")).Conversations.Single().LastMessage!.AttachmentCount);
    }

    [Fact]
    public async Task Search_finds_newest_first_in_pages_and_only_in_the_users_conversations()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        var ab = (await Silo.DirectAsync(a, b, org)).Conversation;
        var bc = (await Silo.DirectAsync(b, c, org)).Conversation;
        for (var i = 0; i < 5; i++)
        {
            await Silo.SendAsync(ab.Id, a, $"camera mount number {i}");
        }

        await Silo.SendAsync(bc.Id, c, "camera mount elsewhere");
        var deleted = await Silo.SendAsync(ab.Id, b, "camera mount deleted");
        await Silo.Conversation(ab.Id).DeleteMessage(b.Id, deleted.Id).WaitAsync(ChatSilo.Timeout);

        var first = await Silo.User(a.Id).Search(new SearchQuery("camera mount", Limit: 3)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(new[] { "camera mount number 4", "camera mount number 3", "camera mount number 2" }, first.Messages.Select(m => m.Content));
        Assert.True(first.HasMore);
        var second = await Silo.User(a.Id).Search(new SearchQuery("camera mount", Before: first.NextBefore, Limit: 3)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(new[] { "camera mount number 1", "camera mount number 0" }, second.Messages.Select(m => m.Content));
        Assert.False(second.HasMore);
        Assert.Equal(6, (await Silo.User(b.Id).Search(new SearchQuery("camera")).WaitAsync(ChatSilo.Timeout)).Messages.Length);
        Assert.Single((await Silo.User(b.Id).Search(new SearchQuery("camera", ConversationId: bc.Id)).WaitAsync(ChatSilo.Timeout)).Messages);
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.User(a.Id).Search(new SearchQuery("x", Before: "garbage")));
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.User(a.Id).Search(new SearchQuery("  ")));
    }

    private static byte[] Zip(string entry)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            archive.CreateEntry("[Content_Types].xml");
            archive.CreateEntry(entry);
        }

        return stream.ToArray();
    }
}
