// The sandboxed path resolver, with both strategies (openat2 and the portable walker),
// against a fixture full of escape routes: `..`, absolute paths, symlinks out of the
// sandbox as final and as intermediate components, out-and-back paths, loops, and
// creation through dangling links. Anything that resolves must be inside the sandbox;
// everything else must fail without touching the outside.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "wasi/path_resolver.h"

namespace wisp::wasi {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& p, const std::string& s) {
  FILE* f = std::fopen(p.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(s.data(), 1, s.size(), f);
  std::fclose(f);
}

std::string readFd(int fd) {
  char buf[256];
  const ssize_t n = pread(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The directory an O_PATH fd refers to, for checking where resolution ended up.
fs::path pathOf(int fd) { return fs::read_symlink("/proc/self/fd/" + std::to_string(fd)); }

class PathResolverTest : public ::testing::TestWithParam<Resolver> {
 protected:
  void SetUp() override {
    if (GetParam() == Resolver::Openat2 && !openat2Available()) {
      GTEST_SKIP() << "kernel without openat2";
    }
    char tmpl[] = "/tmp/wisp-resolver-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = fs::canonical(tmpl);
    sandbox = root / "sandbox";
    fs::create_directories(sandbox / "sub" / "deeper");
    fs::create_directories(root / "victim");
    writeFile(root / "secret.txt", "SECRET");
    writeFile(sandbox / "a.txt", "inside");
    writeFile(sandbox / "sub" / "b.txt", "sub b");
    fs::create_symlink("..", sandbox / "link_up");
    fs::create_symlink("/etc", sandbox / "link_etc");
    fs::create_symlink(root / "secret.txt", sandbox / "link_abs_secret");
    fs::create_symlink("../secret.txt", sandbox / "link_secret");
    fs::create_symlink("../..", sandbox / "sub" / "link_upup");
    fs::create_symlink("../a.txt", sandbox / "sub" / "up");  // stays inside
    fs::create_symlink("sub", sandbox / "dirlink");          // stays inside
    fs::create_symlink("dirlink/up", sandbox / "chain");     // two hops, inside
    fs::create_symlink("loop2", sandbox / "loop1");
    fs::create_symlink("loop1", sandbox / "loop2");
    fs::create_symlink("nowhere", sandbox / "dangling");
    fs::create_symlink("../created_outside", sandbox / "dangling_out");
    fs::create_symlink("../sandbox/a.txt", sandbox / "out_and_back");
    base = ::open(sandbox.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(base, 0);
  }
  void TearDown() override {
    if (base >= 0) ::close(base);
    if (!root.empty()) fs::remove_all(root);
  }

  Errno open(const std::string& path, int flags, UniqueFd& fd, mode_t mode = 0644) {
    return openBeneath(base, path, flags, mode, fd, GetParam());
  }
  Errno openRead(const std::string& path, std::string* content = nullptr) {
    UniqueFd fd;
    Errno e = open(path, O_RDONLY, fd);
    if (e == Errno::Success && content) *content = readFd(fd.get());
    return e;
  }
  void expectOutsideUntouched() {
    EXPECT_FALSE(fs::exists(root / "created_outside"));
    EXPECT_TRUE(fs::exists(root / "victim"));
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"sandbox", "secret.txt", "victim"}));
  }

  fs::path root, sandbox;
  int base = -1;
};

TEST_P(PathResolverTest, PathsInsideResolve) {
  std::string s;
  EXPECT_EQ(openRead("a.txt", &s), Errno::Success);
  EXPECT_EQ(s, "inside");
  EXPECT_EQ(openRead("./sub/../a.txt", &s), Errno::Success);
  EXPECT_EQ(s, "inside");
  EXPECT_EQ(openRead("sub//b.txt", &s), Errno::Success);
  EXPECT_EQ(s, "sub b");
  EXPECT_EQ(openRead("sub/deeper/../../sub/b.txt"), Errno::Success);
  UniqueFd fd;
  EXPECT_EQ(open(".", O_RDONLY | O_DIRECTORY, fd), Errno::Success);
  EXPECT_EQ(open("sub/..", O_RDONLY | O_DIRECTORY, fd), Errno::Success);
  EXPECT_EQ(pathOf(fd.get()), sandbox);
  EXPECT_EQ(open("sub/", O_RDONLY, fd), Errno::Success);
}

TEST_P(PathResolverTest, SymlinksThatStayInsideAreFollowed) {
  std::string s;
  EXPECT_EQ(openRead("sub/up", &s), Errno::Success);  // ../a.txt relative to sub/
  EXPECT_EQ(s, "inside");
  EXPECT_EQ(openRead("dirlink/b.txt", &s), Errno::Success);
  EXPECT_EQ(s, "sub b");
  EXPECT_EQ(openRead("chain", &s), Errno::Success);  // dirlink/up -> sub/up -> ../a.txt
  EXPECT_EQ(s, "inside");
  EXPECT_EQ(openRead("dirlink/../a.txt", &s), Errno::Success);  // `..` of sub, physically
  EXPECT_EQ(s, "inside");
}

TEST_P(PathResolverTest, DotDotAndAbsolutePathsAreRefused) {
  EXPECT_EQ(openRead(".."), Errno::NotCapable);
  EXPECT_EQ(openRead("../secret.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("sub/../../secret.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("sub/deeper/../../../secret.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("/etc/passwd"), Errno::NotCapable);
  EXPECT_EQ(openRead("/"), Errno::NotCapable);
  EXPECT_EQ(openRead(root.string() + "/secret.txt"), Errno::NotCapable);
}

TEST_P(PathResolverTest, OutAndBackIsRefused) {
  // Leaving the base even once fails, wherever the path ends up.
  EXPECT_EQ(openRead("../sandbox/a.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("sub/../../sandbox/a.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("out_and_back"), Errno::NotCapable);
}

TEST_P(PathResolverTest, FinalSymlinksPointingOutsideAreRefused) {
  EXPECT_EQ(openRead("link_secret"), Errno::NotCapable);
  EXPECT_EQ(openRead("link_abs_secret"), Errno::NotCapable);
  EXPECT_EQ(openRead("link_etc"), Errno::NotCapable);
  EXPECT_EQ(openRead("link_up"), Errno::NotCapable);
  UniqueFd fd;
  EXPECT_EQ(open("link_up/", O_RDONLY, fd), Errno::NotCapable);  // trailing slash follows
}

TEST_P(PathResolverTest, IntermediateSymlinksPointingOutsideAreRefused) {
  EXPECT_EQ(openRead("link_up/secret.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("link_etc/passwd"), Errno::NotCapable);
  EXPECT_EQ(openRead("sub/link_upup/secret.txt"), Errno::NotCapable);
  EXPECT_EQ(openRead("sub/link_upup/sandbox/a.txt"), Errno::NotCapable);
  UniqueFd fd;
  // O_NOFOLLOW only concerns the final component.
  EXPECT_EQ(open("link_up/secret.txt", O_RDONLY | O_NOFOLLOW, fd), Errno::NotCapable);
}

TEST_P(PathResolverTest, NofollowOpensOrRejectsTheLinkItself) {
  UniqueFd fd;
  EXPECT_EQ(open("sub/up", O_RDONLY | O_NOFOLLOW, fd), Errno::Loop);
  // O_PATH | O_NOFOLLOW opens the link itself, even one pointing outside: nothing
  // outside is reached through it.
  ASSERT_EQ(open("link_abs_secret", O_PATH | O_NOFOLLOW, fd), Errno::Success);
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_P(PathResolverTest, CreatingThroughLinksCannotEscape) {
  UniqueFd fd;
  EXPECT_EQ(open("dangling_out", O_WRONLY | O_CREAT, fd), Errno::NotCapable);
  EXPECT_EQ(open("link_up/created_outside", O_WRONLY | O_CREAT, fd), Errno::NotCapable);
  EXPECT_EQ(open("../created_outside", O_WRONLY | O_CREAT, fd), Errno::NotCapable);
  // O_EXCL never follows the final link: the link exists.
  EXPECT_EQ(open("dangling_out", O_WRONLY | O_CREAT | O_EXCL, fd), Errno::Exist);
  // A dangling link inside creates its target inside.
  EXPECT_EQ(open("dangling", O_WRONLY | O_CREAT, fd), Errno::Success);
  EXPECT_TRUE(fs::exists(sandbox / "nowhere"));
  EXPECT_EQ(open("sub/new.txt", O_WRONLY | O_CREAT | O_EXCL, fd), Errno::Success);
  EXPECT_TRUE(fs::exists(sandbox / "sub" / "new.txt"));
  expectOutsideUntouched();
}

TEST_P(PathResolverTest, ErrorsOfOrdinaryLookups) {
  EXPECT_EQ(openRead("missing"), Errno::NoEnt);
  EXPECT_EQ(openRead("missing/x"), Errno::NoEnt);
  EXPECT_EQ(openRead("a.txt/x"), Errno::NotDir);
  EXPECT_EQ(openRead("a.txt/"), Errno::NotDir);
  EXPECT_EQ(openRead("loop1"), Errno::Loop);
  EXPECT_EQ(openRead("loop1/x"), Errno::Loop);
  EXPECT_EQ(openRead(""), Errno::NoEnt);
  EXPECT_EQ(openRead(std::string("a.txt\0x", 7)), Errno::Inval);
  EXPECT_EQ(openRead(std::string(PATH_MAX, 'a')), Errno::NameTooLong);
  UniqueFd fd;
  EXPECT_EQ(open("new_dir/", O_WRONLY | O_CREAT, fd), Errno::IsDir);
}

TEST_P(PathResolverTest, ParentResolutionSplitsTheFinalComponent) {
  ResolvedPath rp;
  ASSERT_EQ(resolveParent(base, "sub/deeper/x.txt", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox / "sub" / "deeper");
  EXPECT_EQ(rp.name, "x.txt");
  EXPECT_FALSE(rp.trailingSlash);

  ASSERT_EQ(resolveParent(base, "sub/deeper/", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox / "sub");
  EXPECT_EQ(rp.name, "deeper");
  EXPECT_TRUE(rp.trailingSlash);

  // The final component is not followed: the link itself is named.
  ASSERT_EQ(resolveParent(base, "link_up", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox);
  EXPECT_EQ(rp.name, "link_up");

  // "." and ".." as final components name a directory beneath the base itself.
  ASSERT_EQ(resolveParent(base, "sub/..", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox);
  EXPECT_EQ(rp.name, ".");
  ASSERT_EQ(resolveParent(base, ".", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox);
  EXPECT_EQ(rp.name, ".");
  ASSERT_EQ(resolveParent(base, "dirlink/x", rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox / "sub");
}

TEST_P(PathResolverTest, ParentResolutionRefusesEscapes) {
  ResolvedPath rp;
  EXPECT_EQ(resolveParent(base, "..", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "../victim", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "sub/../..", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "link_up/victim", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "link_etc/passwd", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "sub/link_upup/x", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "/tmp/x", rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveParent(base, "link_up/..", rp, GetParam()), Errno::NotCapable);
}

TEST_P(PathResolverTest, FinalResolutionFollowsOnlyInside) {
  ResolvedPath rp;
  ASSERT_EQ(resolveFinal(base, "sub/up", true, rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox);
  EXPECT_EQ(rp.name, "a.txt");
  ASSERT_EQ(resolveFinal(base, "chain", true, rp, GetParam()), Errno::Success);
  EXPECT_EQ(pathOf(rp.dir.get()), sandbox);
  EXPECT_EQ(rp.name, "a.txt");
  ASSERT_EQ(resolveFinal(base, "dangling", true, rp, GetParam()), Errno::Success);
  EXPECT_EQ(rp.name, "nowhere");
  ASSERT_EQ(resolveFinal(base, "sub/up", false, rp, GetParam()), Errno::Success);
  EXPECT_EQ(rp.name, "up");

  EXPECT_EQ(resolveFinal(base, "link_up", true, rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveFinal(base, "link_secret", true, rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveFinal(base, "link_abs_secret", true, rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveFinal(base, "dangling_out", true, rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveFinal(base, "out_and_back", true, rp, GetParam()), Errno::NotCapable);
  EXPECT_EQ(resolveFinal(base, "loop1", true, rp, GetParam()), Errno::Loop);
}

TEST_P(PathResolverTest, ADirectoryFdIsItsOwnRoot) {
  // Resolution is relative to the fd it starts from, not to the preopen above it.
  const int sub = ::open((sandbox / "sub").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(sub, 0);
  UniqueFd fd;
  EXPECT_EQ(openBeneath(sub, "../a.txt", O_RDONLY, 0, fd, GetParam()), Errno::NotCapable);
  EXPECT_EQ(openBeneath(sub, "up", O_RDONLY, 0, fd, GetParam()), Errno::NotCapable);
  EXPECT_EQ(openBeneath(sub, "b.txt", O_RDONLY, 0, fd, GetParam()), Errno::Success);
  ::close(sub);
}

TEST_P(PathResolverTest, DeepSymlinkChainsEndInELOOP) {
  // 41 hops exceed the limit of 40; 40 are fine.
  for (int i = 0; i < 41; i++) {
    fs::create_symlink(i == 0 ? std::string("a.txt") : "hop" + std::to_string(i - 1),
                       sandbox / ("hop" + std::to_string(i)));
  }
  std::string s;
  EXPECT_EQ(openRead("hop39", &s), Errno::Success);
  EXPECT_EQ(s, "inside");
  EXPECT_EQ(openRead("hop40"), Errno::Loop);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, PathResolverTest,
                         ::testing::Values(Resolver::Openat2, Resolver::Portable),
                         [](const ::testing::TestParamInfo<Resolver>& info) {
                           return info.param == Resolver::Openat2 ? "Openat2" : "Portable";
                         });

TEST(PathCheckTest, GuestPathsAreValidatedBeforeResolution) {
  EXPECT_EQ(checkGuestPath(""), Errno::NoEnt);
  EXPECT_EQ(checkGuestPath("/x"), Errno::NotCapable);
  EXPECT_EQ(checkGuestPath(std::string("a\0b", 3)), Errno::Inval);
  EXPECT_EQ(checkGuestPath(std::string(PATH_MAX, 'x')), Errno::NameTooLong);
  EXPECT_EQ(checkGuestPath("a/../b"), Errno::Success);
}

}  // namespace
}  // namespace wisp::wasi
