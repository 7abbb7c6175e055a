#!/usr/bin/env python3
"""Regenerate the lab skeletons from the chapter files.

A skeleton is the chapter's file with the exercise bodies replaced by `todo!()`s: every item,
signature and doc comment is kept, the unit tests and `ANCHOR` comments are dropped, and a
banner names the exercise. Run it after a chapter file changes, then `labs/check --verify`:

    labs/tools/make-skeletons.py            # every lab
    labs/tools/make-skeletons.py 02         # one lab

A body is named by its function's name, or `Type::name` for a method of `Type` when another
`fn name` comes first in the file.

It overwrites labs/NN-*/src/<exercise module>.rs, so run it on a clean tree (a learner's work
there is lost). Each file is formatted with `rustfmt` reading stdin, which, unlike `cargo fmt`
on a lab crate, does not follow the `#[path]`s into the chapter's files.
"""
import json, os, re, subprocess, sys, textwrap

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

def find_fn(s, name):
    """The match of `fn name`; `Type::name` looks only inside the impl blocks of `Type`
    (e.g. `VerifyingReader::read`, when another `fn read` comes first in the file)."""
    if '::' not in name:
        return re.search(r'\bfn ' + re.escape(name) + r'\b', s)
    owner, name = name.rsplit('::', 1)
    for impl in re.finditer(r'^impl\b[^{;]*\b' + re.escape(owner) + r'\b[^{;]*\{', s, flags=re.M):
        end = skip_block(s, impl.end() - 1)
        m = re.compile(r'\bfn ' + re.escape(name) + r'\b').search(s, impl.end(), end)
        if m:
            return m
    return None

def find_body(s, name):
    m = find_fn(s, name)
    if not m:
        raise SystemExit(f'fn {name} not found')
    i = m.end()
    # find the '{' opening the body: first '{' at depth 0 of parens/brackets/angles after signature
    depth = 0
    while True:
        c = s[i]
        if c in '([': depth += 1
        elif c in ')]': depth -= 1
        elif c == '{' and depth == 0: break
        i += 1
    start = i
    j = skip_block(s, start)
    return start, j  # s[start] == '{', s[j-1] == '}'

def skip_block(s, i):
    depth = 0
    n = len(s)
    while i < n:
        c = s[i]
        if s.startswith('//', i):
            i = s.index('\n', i); continue
        if c == '"':
            i += 1
            while s[i] != '"':
                if s[i] == '\\': i += 1
                i += 1
            i += 1; continue
        if c == "'":
            m = re.match(r"'(\\.|[^\\'])'", s[i:])
            if m:
                i += m.end(); continue
        if c == '{': depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0: return i + 1
        i += 1
    raise SystemExit('unbalanced')

def body_text(indent, lines, msg):
    pad = ' ' * indent
    out = '{\n'
    for l in lines:
        out += pad + '    // ' + l + '\n' if l else pad + '    //\n'
    out += pad + '    todo!(' + json.dumps(msg.replace('{', '{{').replace('}', '}}')) + ')\n' + pad + '}'
    return out

def generate(chapter_file, out_file, banner, bodies=(), anchors=(), replace=()):
    s = open(chapter_file).read()
    for name, lines, msg in bodies:
        a, b = find_body(s, name)
        line_start = s.rindex('\n', 0, a) + 1
        indent = len(s[line_start:]) - len(s[line_start:].lstrip(' '))
        s = s[:a] + body_text(indent, lines, msg) + s[b:]
    for anchor, text in anchors:
        a = s.index(f'// ANCHOR: {anchor}\n')
        a = s.rindex('\n', 0, a) + 1
        e = s.index(f'// ANCHOR_END: {anchor}\n') + len(f'// ANCHOR_END: {anchor}\n')
        s = s[:a] + text + s[e:]
    # strip unit tests
    m = re.search(r'\n#\[cfg\(test\)\]\nmod tests \{', s)
    if m:
        s = s[:m.start()].rstrip() + '\n'
    s = re.sub(r'^[ \t]*// ANCHOR(_END)?: .*\n', '', s, flags=re.M)
    for old, new in replace:
        if old not in s:
            raise SystemExit(f'{chapter_file}: {old!r} not found')
        s = s.replace(old, new)
    text = re.sub(r'`[^`]*`', lambda m: m.group(0).replace(' ', '\u00a0'), ' '.join(banner))
    banner = [l.replace('\u00a0', ' ') for l in textwrap.wrap(text, width=88, break_long_words=False, break_on_hyphens=False)]
    # The banner goes after the module doc's first paragraph (usually its first line).
    lines = s.split('\n')
    k = 1
    while k < len(lines) and lines[k].startswith('//! '):
        k += 1
    first, rest = '\n'.join(lines[:k]), '\n'.join(lines[k:])
    s = first + '\n//!\n' + ''.join('//! ' + l + '\n' if l else '//!\n' for l in banner) + rest
    for _ in range(2):  # one pass is not always a fixed point
        r = subprocess.run(['rustfmt', '--edition', '2024'], input=s, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f'rustfmt {out_file}: {r.stderr}')
        s = r.stdout
    open(out_file, 'w').write(s)
    print('wrote', os.path.relpath(out_file, ROOT))


def lab01():
    ch = ROOT + '/chapters/01-process/src/'
    lab = ROOT + '/labs/01-process/src/'
    generate(ch + 'exit_status.rs', lab + 'exit_status.rs',
        ['**Lab 01 skeleton.** Exercise `ex1`: write [`ExitStatus::from_wait_status`] and',
         '[`ExitStatus::code`] (the two `todo!()`s). `labs/check 01` tells you how far you are.'],
        bodies=[
            ('from_wait_status',
             ['ex1: `ws` is one of the `WaitStatus` variants. Two of them mean "this process',
              'has ended"; every other one is `None`.'],
             'ex1: match ws: WaitStatus::Exited(_, code) and WaitStatus::Signaled(_, signal, core_dumped) become an ExitStatus, anything else None'),
            ('code',
             ['ex1: the shell\'s convention, which `docker run` and `docker wait` follow.'],
             'ex1: the code itself for Exited, 128 + the signal\'s number (`signal as i32`) for Signaled'),
        ])
    generate(ch + 'signals.rs', lab + 'signals.rs',
        ['**Lab 01 skeleton.** Exercise `ex2`: write [`forwarded_signals`]. Exercise `ex3`: write',
         'the loop of [`supervise`] (the rest of this file is done). `labs/check 01` tells you',
         'how far you are.'],
        bodies=[
            ('forwarded_signals',
             ['ex2: start from every signal nix knows (`Signal::iterator()`) and leave out the six',
              'the list above names; `collect()` builds a `SigSet`.'],
             'ex2: Signal::iterator().filter(..).collect(), leaving out SIGKILL, SIGSTOP, SIGCHLD, SIGPIPE, SIGURG and SIGWINCH'),
        ],
        anchors=[('supervise_loop',
            '    // ex3: the supervisor\'s loop, with the three helpers below:\n'
            '    //   reap_exited(main_child, reap)      collects exited children, Some(status) once\n'
            '    //                                      main_child is among them;\n'
            '    //   wait_for_signal(&waited_for, t)    the next pending signal of the set, None after t;\n'
            '    //   forward(signal, main_child)        kill(2), ignoring a child that is already gone.\n'
            '    todo!("ex3: in a loop, collect exited children (return once main_child is among them), then wait up to REAP_POLL_INTERVAL for a signal: SIGCHLD or none means collect again, any other signal is forwarded")\n')],
        replace=[('(crate::init::reap_remaining_children)', '(ch01_process::init::reap_remaining_children)')])


def lab02():
    ch = ROOT + '/chapters/02-namespaces/src/'
    lab = ROOT + '/labs/02-namespaces/src/'
    check = '`labs/check 02` tells you how far you are.'
    generate(ch + 'namespace.rs', lab + 'namespace.rs',
        ['**Lab 02 skeleton.** Exercise `ex1`: write [`Namespace::clone_flag`] and',
         '[`Namespace::proc_path`] (the two `todo!()`s; the table below has the answers). ' + check],
        bodies=[
            ('clone_flag',
             ['ex1: one `CloneFlags::CLONE_NEW*` constant per kind (see the table at the top).'],
             'ex1: match self: Namespace::User => CloneFlags::CLONE_NEWUSER, ... (the mount namespace\'s flag is CLONE_NEWNS)'),
            ('proc_path',
             ['ex1: `/proc/42/ns/mnt` for the mount namespace of pid 42; `proc_name()` has the',
              'file names, and a `Pid` formats as its number.'],
             'ex1: PathBuf::from(format!(...)) of /proc/<pid>/ns/<proc_name>'),
        ])
    generate(ch + 'identity.rs', lab + 'identity.rs',
        ['**Lab 02 skeleton.** Exercise `ex2`: write [`namespace_id_of_path`] and',
         '[`same_namespace`] (the two `todo!()`s). ' + check],
        bodies=[
            ('namespace_id_of_path',
             ['ex2: stat(2) the file (`nix::sys::stat::stat`); `NamespaceId::from` turns the',
              '`FileStat` into the (device, inode) pair. A failure is `NamespaceError::Stat`,',
              'naming the kind and the path.'],
             'ex2: stat(path), then NamespaceId::from, errors mapped to NamespaceError::Stat { ns, path, source }'),
            ('same_namespace',
             ['ex2: two processes share a namespace when their namespace files have the same identity.'],
             'ex2: compare namespace_id(a, ns)? with namespace_id(b, ns)?'),
        ])
    generate(ch + 'idmap.rs', lab + 'idmap.rs',
        ['**Lab 02 skeleton.** Exercise `ex3`: write [`validate_mappings`] (the `todo!()`). ' + check],
        bodies=[
            ('validate_mappings',
             ['ex3: check the rules of the doc comment above, one by one, and return',
              '`Err(NamespaceError::invalid_mapping(maps, reason))` for the first one broken:',
              '  - at least one mapping, at most MAX_MAPPINGS;',
              '  - every size > 0;',
              '  - id + size must not overflow a u32 (`checked_add`), inside or outside;',
              '  - no two ranges overlap, inside or outside (compare every pair);',
              '  - `render(maps)` (the text written to the file) is at most MAX_MAP_BYTES long.'],
             'ex3: return Err(NamespaceError::invalid_mapping(maps, reason)) for the first broken rule, Ok(()) otherwise'),
        ])
    generate(ch + 'hostname.rs', lab + 'hostname.rs',
        ['**Lab 02 skeleton.** Exercise `ex4`: write [`validate_hostname`] (the `todo!()`). ' + check],
        bodies=[
            ('validate_hostname',
             ['ex4: the rules of the doc comment above. `name.split(\'.\')` gives the labels;',
              'return `Err(NamespaceError::InvalidHostname { name: name.to_string(), reason })` for',
              'the first rule broken, `reason` a short `&\'static str` saying which.'],
             'ex4: check the length, then each label: not empty, at most MAX_LABEL_LEN, only ASCII letters, digits and \'-\', no \'-\' at either end'),
        ])


def lab03():
    ch = ROOT + '/chapters/03-rootfs/src/'
    lab = ROOT + '/labs/03-rootfs/src/'
    check = '`labs/check 03` tells you how far you are.'
    generate(ch + 'secure_join.rs', lab + 'secure_join.rs',
        ['**Lab 03 skeleton.** Exercise `ex1`: write [`secure_join`] (the `todo!()`; the helper',
         '`components_reversed` is done). ' + check],
        bodies=[
            ('secure_join',
             ['ex1: keep a stack of components still to walk (`components_reversed(unsafe_path)`)',
              'and the part resolved so far, relative to `root` (never containing `..`). Pop one:',
              '  - `..` removes the last resolved component (at the root, it stays the root);',
              '  - otherwise, if `root/<resolved>/<part>` is a symlink (`std::fs::read_link`), push',
              '    the components of its target; an absolute target restarts from the root;',
              '    count them: more than MAX_SYMLINKS is a `SymlinkLoop`;',
              '  - anything else (a file, a directory, nothing yet) is appended to the resolved part.',
              'The answer is `root.join(resolved)`.'],
             'ex1: walk the components with a stack: `..` stops at the root, symlinks are read and followed as if root were /'),
        ])
    generate(ch + 'masked.rs', lab + 'masked.rs',
        ['**Lab 03 skeleton.** Exercise `ex2`: write [`mask_path`] and [`readonly_path`] (the two',
         '`todo!()`s). Every mount goes through `sys`, so you can test without root. ' + check],
        bodies=[
            ('mask_path',
             ['ex2: `sys.file_kind(path)` says what is there (`None`: nothing, skip it). Mount over it',
              'with `sys.mount(source, target, fstype, flags, data)`: a tmpfs mounted `MS_RDONLY` on a',
              'directory, a bind mount (`MS_BIND`, no fstype) of `/dev/null` on anything else.'],
             'ex2: match sys.file_kind(path): None => Ok(()), a directory gets a read-only tmpfs, anything else a bind mount of /dev/null'),
            ('readonly_path',
             ['ex2: a bind mount cannot be made read-only in the same mount(2) call that creates it:',
              'bind `path` onto itself (`MS_BIND | MS_REC`), then remount that bind with',
              '`MS_BIND | MS_REMOUNT | MS_RDONLY` (plus `MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC`).',
              'A path that does not exist is skipped.'],
             'ex2: skip a missing path; sys.mount the path onto itself with MS_BIND | MS_REC, then remount it with MS_BIND | MS_REMOUNT | MS_RDONLY (and MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC)'),
        ])
    generate(ch + 'pivot.rs', lab + 'pivot.rs',
        ['**Lab 03 skeleton.** Exercise `ex3`: write [`pivot_into`] (the `todo!()`). ' + check],
        bodies=[
            ('pivot_into',
             ['ex3: four calls on `sys`, as the doc comment above tells: go into the rootfs,',
              '`pivot_root(".", ".")`, lazily unmount the old root now stacked on `.`',
              '(`MntFlags::MNT_DETACH`), and end up in the new `/`.'],
             'ex3: sys.chdir(rootfs), sys.pivot_root(\".\", \".\"), sys.umount2(\".\", MNT_DETACH), sys.chdir(\"/\")'),
        ])
    generate(ch + 'user.rs', lab + 'user.rs',
        ['**Lab 03 skeleton.** Exercise `ex4`: write [`resolve_user`] (the `todo!()`; the parsers',
         '`passwd_entries` and `group_entries` are done). ' + check],
        bodies=[
            ('resolve_user',
             ['ex4: read `etc/passwd` and `etc/group` under `rootfs` (`read_optional`: a missing',
              'file reads as empty), then:',
              '  1. find the passwd entry: by uid when `spec.user` is a number, by name otherwise;',
              '     a number with no entry is used as it is, with gid 0 and home `/`; a name with',
              '     no entry is `RootfsError::User("unable to find user NAME: no matching entries',
              '     in passwd file")`;',
              '  2. `spec.group`, if any, replaces the gid: a number as it is, a name looked up in',
              '     the group file (`unable to find group NAME: no matching entries in group file`);',
              '  3. additional_gids: the gid first, then every other group that lists the user by',
              '     name among its members.'],
             'ex4: look the user up in passwd (by uid or by name), then the group, then the groups listing the user'),
        ])


def lab04():
    ch = ROOT + '/chapters/04-layers/src/'
    lab = ROOT + '/labs/04-layers/src/'
    check = '`labs/check 04` tells you how far you are.'
    generate(ch + 'overlay.rs', lab + 'overlay.rs',
        ['**Lab 04 skeleton.** Exercise `ex1`: write [`legacy_mount_data`] and its helper `escape`',
         '(the two `todo!()`s; the mounting itself is done). ' + check],
        bodies=[
            ('legacy_mount_data',
             ['ex1: `lowerdir=` and the lower layers joined by `:`, in the order of `layers.lower`',
              '(topmost first), then `,upperdir=<upper>,workdir=<work>`, then `,key=value` for',
              'each pair of MOUNT_OPTIONS, in order. Every path goes through `escape` first.'],
             'ex1: "lowerdir=<escaped lowers joined by :>,upperdir=<upper>,workdir=<work>" and then ",key=value" for each of MOUNT_OPTIONS'),
            ('escape',
             ['ex1: the path as text (`to_string_lossy()`), with a backslash put before every `:`,',
              '`,` and `\\` in it.'],
             'ex1: copy the characters of path.to_string_lossy(), each \':\', \',\' and \'\\\' preceded by a \'\\\''),
        ])
    generate(ch + 'whiteout.rs', lab + 'whiteout.rs',
        ['**Lab 04 skeleton.** Exercise `ex2`: write [`is_whiteout`], [`create_whiteout`],',
         '[`is_opaque`] and [`set_opaque`] (the four `todo!()`s). ' + check],
        bodies=[
            ('is_whiteout',
             ['ex2: a character device (`meta.file_type().is_char_device()`, from `FileTypeExt`)',
              'whose device number (`meta.rdev()`, from `MetadataExt`) is 0.'],
             'ex2: meta.file_type().is_char_device() && meta.rdev() == 0'),
            ('create_whiteout',
             ['ex2: mknod(2) with `nix::sys::stat::mknod`: kind `SFlag::S_IFCHR`, no permission',
              'bits (`Mode::empty()`), device 0. A failure is `LayerError::path("mknod(2)", path, errno)`.'],
             'ex2: mknod(path, SFlag::S_IFCHR, Mode::empty(), 0), an errno mapped to LayerError::path("mknod(2)", path, errno)'),
            ('is_opaque',
             ['ex2: `xattr::lget(dir, OPAQUE_XATTR)?` is the attribute\'s value, `None` when it is',
              'not set. Only the value `y` means opaque.'],
             'ex2: Ok(true) only when xattr::lget(dir, OPAQUE_XATTR)? is Some(b"y")'),
            ('set_opaque',
             ['ex2: `xattr::lset` the attribute to `y`.'],
             'ex2: xattr::lset(dir, OPAQUE_XATTR, b"y")'),
        ])
    generate(ch + 'changes.rs', lab + 'changes.rs',
        ['**Lab 04 skeleton.** Exercise `ex3`: write `Walk::dir` (rules 1 to 4 below) and',
         '`with_parent_dirs` (rule 5), the two `todo!()`s; [`changes()`] calls them, and the',
         'helpers (`lower_lookup`, `lower_names`, `differs`, `added_below`, …) are done. ' + check],
        bodies=[
            ('dir',
             ['ex3: rules 1 to 4 of the module documentation, for the entries of upper dir `rel`:',
              '  - `sorted_names(&self.upper.join(rel))?` lists them;',
              '  - when `lower_hidden` (this directory is opaque, or lies under an opaque one),',
              '    every name of `lower_names(self.lowers, rel)?` that the upper dir lacks is',
              '    Deleted;',
              '  - for each entry: `lstat` it, and `lower_lookup(self.lowers, &rel)?` is `old`,',
              '    what the lower layers alone show there. A whiteout is Deleted when there is an',
              '    `old` (and nothing otherwise); no `old` is Added, and so is everything below it',
              '    (`self.added_below`); `differs(&old, &meta, &path)?` is Modified; then a',
              '    directory over a lower directory is walked (`self.dir`, hidden when',
              '    `lower_hidden` or `is_opaque`), one over a lower non-directory is `added_below`.',
              '`self.push(&rel, kind)` records a change.'],
             'ex3: for each upper entry: a whiteout => D if a lower layer has it, no lower entry => A (and added_below), differs => C, directories walked recursively; when lower_hidden, names only the lowers have are D'),
            ('with_parent_dirs',
             ['ex3: rule 5. For every change, walk `change.path.ancestors().skip(1)` up to, but not',
              'including, `/`, adding a Modified change for each directory not in the list yet',
              '(a `HashSet` of the paths seen so far). The order does not matter: `changes`',
              'sorts afterwards.'],
             'ex3: add a Modified change for every ancestor directory of a change (but not /) that is not in the list yet'),
        ])
    generate(ch + 'entry_name.rs', lab + 'entry_name.rs',
        ['**Lab 04 skeleton.** Exercise `ex4`, part 1: write `parse_entry_name` (the `todo!()`;',
         'part 2 is in `apply.rs`). ' + check],
        bodies=[
            ('parse_entry_name',
             ['ex4: refuse, with a short reason (`&\'static str`), an empty name, a NUL byte and a',
              'leading `/`. Then split on `/` (`raw.split(|b| *b == b\'/\')`): empty and `.` parts',
              'are dropped, a `..` part is refused, any other part is kept',
              '(`OsString::from_vec(part.to_vec())`).'],
             'ex4: refuse empty, NUL and absolute names; split on b\'/\', skip "" and ".", refuse "..", keep the rest'),
        ])
    generate(ch + 'apply.rs', lab + 'apply.rs',
        ['**Lab 04 skeleton.** Exercise `ex4`, part 2: write `Applier::parent_dir` (the `todo!()`;',
         'part 1 is `parse_entry_name` in `entry_name.rs`). Everything else here is done: read',
         '`Applier::entry` to see where the directory you return is used. ' + check],
        bodies=[
            ('parent_dir',
             ['ex4: 1. `secure_join(self.root, &name.parent())` resolves the parent inside the',
              '   layer, following symlinks as if the layer were `/` (its error becomes',
              '   `LayerError::SymlinkLoop { entry }`);',
              '2. the result must start with `self.root` (`strip_prefix`), else',
              '   `LayerError::InvalidEntryName { entry, reason: "resolves outside the layer" }`;',
              '3. walk its components from `self.root`: a directory is fine, a whiteout becomes an',
              '   opaque directory (`remove(&dir, false)`, `mkdir(&dir, 0o755)`, `set_opaque`), a',
              '   missing one is created (`mkdir(&dir, 0o755)`), anything else is',
              '   `LayerError::NotADirectory { entry, path }`.'],
             'ex4: secure_join the parent inside the layer, then walk it from the root creating what is missing (0755); a whiteout on the way becomes an opaque dir, a non-directory is NotADirectory'),
        ])


def lab05():
    ch = ROOT + '/chapters/05-images/src/'
    lab = ROOT + '/labs/05-images/src/'
    check = '`labs/check 05` tells you how far you are.'
    generate(ch + 'digest.rs', lab + 'digest.rs',
        ['**Lab 05 skeleton.** Exercise `ex1`: write [`Digest::from_hex`], `Digest::from_str` and',
         '`VerifyingReader::read` (the three `todo!()`s). ' + check],
        bodies=[
            ('from_hex',
             ['ex1: exactly 64 characters, each a digit or `a` to `f` (uppercase is refused). The',
              'error is `DigestError::Invalid(hex.to_owned())`.'],
             'ex1: Ok(Digest { hex }) for exactly 64 characters of 0-9a-f, else Err(DigestError::Invalid(..))'),
            ('from_str',
             ['ex1: split at the first `:`. `sha256` and valid hex (`Digest::from_hex`) is a digest;',
              'another non-empty, alphanumeric algorithm is `DigestError::UnsupportedAlgorithm(s)`;',
              'anything else, bad hex included, is `DigestError::Invalid(s)`, naming the whole string.'],
             'ex1: split_once(\':\'): sha256 + from_hex, another algorithm => UnsupportedAlgorithm(s), anything else => Invalid(s)'),
            ('VerifyingReader::read',
             ['ex1: pass the bytes through, feeding them to the hasher (`hasher.update`). At the',
              'end of the input (`inner.read` returns 0 for a non-empty `buf`), `self.hasher.take()`',
              'and `Digest::from_hasher` give the actual digest. Not `self.expected`: fail with',
              '`io::Error::new(io::ErrorKind::InvalidData, DigestMismatch { .. })`, now and on every',
              'later read (keep it in `self.mismatch`). Equal: `Ok(0)`, now and on every later read',
              '(the hasher is gone).'],
             'ex1: hash what passes through; at EOF compare with self.expected: a mismatch is an InvalidData error wrapping a DigestMismatch (and stays one), a match is Ok(0)'),
        ])
    generate(ch + 'reference.rs', lab + 'reference.rs',
        ['**Lab 05 skeleton.** Exercise `ex2`: write `split_domain` and',
         '[`Reference::familiar_name`] (the two `todo!()`s; the grammar checks are done). ' + check],
        bodies=[
            ('split_domain',
             ['ex2: the first component of `name` is a registry host when a `/` follows it and it',
              'contains `.` or `:`, is `localhost`, or has an uppercase letter. Otherwise the',
              'domain is DEFAULT_DOMAIN and the path is the whole name. LEGACY_DEFAULT_DOMAIN',
              '(`index.docker.io`) is spelled DEFAULT_DOMAIN too, and a path of one component on',
              'DEFAULT_DOMAIN gets OFFICIAL_REPO_PREFIX (`library/`) in front.'],
             'ex2: (domain, path): the first component if it looks like a host (., :, localhost, uppercase), else docker.io; index.docker.io is docker.io; a one-component docker.io path gets library/'),
            ('familiar_name',
             ['ex2: the way back: on DEFAULT_DOMAIN, the path without OFFICIAL_REPO_PREFIX;',
              'anywhere else, the whole `self.name()`.'],
             'ex2: on docker.io the path without library/, elsewhere domain/path'),
        ])
    generate(ch + 'chain.rs', lab + 'chain.rs',
        ['**Lab 05 skeleton.** Exercise `ex3`: write [`chain_ids`] and [`child_chain_id`] (the two',
         '`todo!()`s). ' + check],
        bodies=[
            ('chain_ids',
             ['ex3: the formula above, one chain id per diff id: the first is the first diff id,',
              'every next one is `child_chain_id` of the chain id before it and its diff id.'],
             'ex3: ChainID(L0) = DiffID(L0), ChainID(Ln) = child_chain_id(ChainID(Ln-1), DiffID(Ln))'),
            ('child_chain_id',
             ['ex3: the sha256 (`Digest::of`) of the text `<parent> <diff_id>`, both digests',
              'written in full (`sha256:…`, their `Display`), one space between them.'],
             'ex3: Digest::of(format!("{parent} {diff_id}").as_bytes())'),
        ])
    generate(ch + 'manifest.rs', lab + 'manifest.rs',
        ['**Lab 05 skeleton.** Exercise `ex4`: write [`select_platform`] (the `todo!()`). ' + check],
        bodies=[
            ('select_platform',
             ['ex4: the candidates are the entries of `index.manifests` whose `platform` has this',
              '`os` and `architecture`. arm64 prefers variant `v8` or no variant, arm prefers `v7`:',
              'the first candidate with the preferred variant wins; otherwise (amd64, or no such',
              'variant listed) the first candidate. No candidate is',
              '`ManifestError::NoMatchingPlatform { os, architecture }`.'],
             'ex4: filter index.manifests on platform os/architecture, prefer the variant Docker prefers (v8 or none on arm64, v7 on arm), else take the first; none is NoMatchingPlatform'),
        ])
    generate(ch + 'tags.rs', lab + 'tags.rs',
        ['**Lab 05 skeleton.** Exercise `ex5`: write `ImageStore::add_reference` (the `todo!()`),',
         'which [`ImageStore::tag`] and [`ImageStore::add_digest_reference`] call; reading and',
         'writing the file is done. ' + check],
        bodies=[
            ('add_reference',
             ['ex5: the image must exist (`self.exists(id)`, else `StoreError::NoSuchImage`). Then,',
              'holding `self.guard()` from the read to the write:',
              '  - `storable(reference)` drops a tag that comes with a digest;',
              '  - `self.read_repositories()?`; in its `repositories`, the map of',
              '    `reference.repository_key()` (`.entry(…).or_default()`);',
              '  - insert `reference.familiar_string()` -> `id`. A digest reference that pointed at',
              '    another image is `StoreError::DigestConflict` (and nothing is written);',
              '  - `self.write_repositories(&file)?`, and return the image that had the name',
              '    before, unless it is `id` itself.'],
             'ex5: under self.guard(): read repositories.json, insert familiar_string -> id into the repository_key map (a digest may not move), write it back, return the image that lost the name'),
        ])


def lab06():
    ch = ROOT + '/chapters/06-cgroups/src/'
    lab = ROOT + '/labs/06-cgroups/src/'
    check = '`labs/check 06` tells you how far you are.'
    generate(ch + 'hierarchy.rs', lab + 'hierarchy.rs',
        ['**Lab 06 skeleton.** Exercise `ex1`: write [`Hierarchy::parse`], [`Hierarchy::layout`] and',
         '`dir_in_mount` (the three `todo!()`s; the mountinfo line parser `parse_mountinfo_line` is',
         'done). ' + check],
        bodies=[
            ('parse',
             ['ex1: start from `Hierarchy::default()`. First the mount table: for each line of',
              '`mountinfo`, `parse_mountinfo_line(line)` gives the filesystem type and a `CgroupMount`',
              '(`None`: skip the line). A `cgroup` mount goes into `v1`, unless a mount with the same',
              'controllers is there already (a hierarchy can be mounted twice: the first one wins).',
              'A `cgroup2` mount goes into `unified` if that is still empty, or if it is mounted at',
              '`/sys/fs/cgroup` (preferred over any other). Then `proc_cgroup`: each line is',
              '`id:controllers:path` (`splitn(3, \':\')`; fewer than three parts is',
              '`CgroupError::parse(PROC_CGROUP, …)`). `0::path` is the v2 cgroup (`own_unified`);',
              'any other line gives `path` to each of its comma-separated controllers (`own_v1`).'],
             'ex1: v1 cgroup mounts (first per set of controllers) and the cgroup2 mount (prefer /sys/fs/cgroup) from mountinfo, then id:controllers:path lines into own_unified (0::) or own_v1 (one entry per controller)'),
            ('layout',
             ['ex1: a v1 mount counts only if one of its controllers is a real one, not a',
              '`name=…` (a named hierarchy such as `name=systemd` limits nothing). Then the four',
              'cases of (v1 controllers mounted, `unified` mounted).'],
             'ex1: match (a v1 mount with a controller not starting with "name=", self.unified.is_some()): (true, true) Hybrid, (true, false) Legacy, (false, true) Unified, else None'),
            ('dir_in_mount',
             ['ex1: a cgroup removed while we look reads `<path> (deleted)`: drop that suffix. A',
              'mount whose `root` is `/` shows the whole hierarchy; otherwise `path` must start with',
              '`root` as whole components (`/docker/abcdef` is not under `/docker/abc`) and only the',
              'rest counts; a path outside is `CgroupError::parse(PROC_CGROUP, …)`. The directory is',
              '`mount_point` joined with the rest, its leading `/` removed.'],
             'ex1: strip " (deleted)", cut mount.root off path (whole components, else an error), join the rest without its leading / to mount.mount_point'),
        ])
    generate(ch + 'size.rs', lab + 'size.rs',
        ['**Lab 06 skeleton.** Exercise `ex2`: write [`ram_in_bytes`] and [`parse_cpus`] (the two',
         '`todo!()`s; the number parsers `parse_go_float` and `parse_decimal`, and the printing',
         'functions, are done). ' + check],
        bodies=[
            ('ram_in_bytes',
             ['ex2: go-units\' `RAMInBytes`, step by step:',
              '  - the number ends at the last digit, `.` or space of `size` (`rfind`); there is none:',
              '    `SizeError::InvalidSize(size)`. A space there separates number and unit and belongs',
              '    to neither;',
              '  - `parse_go_float(number)?` is the value; a negative one is `InvalidSize(size)`;',
              '  - no unit: bytes. A unit of more than 3 characters is `InvalidSuffix(unit)`. Else,',
              '    lowercased: `b` is bytes; `k`, `m`, `g`, `t`, `p` are 1024 to the power 1 to 5,',
              '    optionally followed by `b` or `ib`; anything else is `InvalidSuffix(lowercased)`;',
              '  - value × multiplier in f64, then `as i64` (truncates, and saturates instead of',
              '    wrapping).'],
             'ex2: split at the last digit, . or space; parse_go_float the number (negative: InvalidSize); the unit: none or b, or k m g t p (1024^1..5) with an optional b or ib, else InvalidSuffix'),
            ('parse_cpus',
             ['ex2: an exact fraction `num / den`: `a/b` (two integers, `b` not 0), or a decimal that',
              '`parse_decimal` turns into one; anything else is `CpusError::NotRational(value)`. The',
              'nano-CPUs are `num × 1_000_000_000 / den` in i128 (`checked_mul`): a remainder is',
              '`CpusError::TooPrecise`, a result that does not fit an i64 is `NotRational`.'],
             'ex2: (num, den) from a/b or parse_decimal, else NotRational; num * 1e9 must divide by den (else TooPrecise); the quotient as i64'),
        ])
    generate(ch + 'cpulist.rs', lab + 'cpulist.rs',
        ['**Lab 06 skeleton.** Exercise `ex3`: write [`parse_list`] and [`is_available`] (the two',
         '`todo!()`s; [`format_list`] is done). ' + check],
        bodies=[
            ('parse_list',
             ['ex3: `maximum` 0 means HARD_MAXIMUM. The empty list is the empty set. Otherwise each',
              'part between commas is `n` or `low-high`, both u32 and `low <= high`; anything else',
              '(an empty part, a sign, a space, a letter) is `CpuListError::InvalidFormat(list)`,',
              'naming the whole list. A part reaching above `maximum` is',
              '`CpuListError::OutOfRange(maximum)`: check before you insert its numbers.'],
             'ex3: split on \',\', each part n or low-high (u32, low <= high) else InvalidFormat(list); high > maximum is OutOfRange(maximum); collect every number'),
            ('is_available',
             ['ex3: parse `available` with no maximum (0). `requested` may name CPUs up to',
              'DEFAULT_MAXIMUM, or up to the highest available one if that is larger; then every',
              'requested CPU must be available.'],
             'ex3: parse_list(available, 0)?, then parse_list(requested, max(highest available, DEFAULT_MAXIMUM))?, then is_subset'),
        ])
    generate(ch + 'resources.rs', lab + 'resources.rs',
        ['**Lab 06 skeleton.** Exercise `ex4`: write [`Resources::cfs_quota_and_period`] and',
         '[`Resources::pids_max`] (the two `todo!()`s; [`validate`] is done, and the v1 and v2',
         'backends call your functions to know what to write). ' + check],
        bodies=[
            ('cfs_quota_and_period',
             ['ex4: `--cpus` wins: with `nano_cpus > 0` the period is DEFAULT_CFS_PERIOD and the',
              'quota `nano_cpus × period / 10⁹` µs (in i128: the product overflows an i64). Without',
              'it, `cpu_quota` and `cpu_period` as they are, where 0 means "leave it alone" (`None`),',
              'and so does a negative period.'],
             'ex4: nano_cpus > 0 => (Some(nano_cpus * DEFAULT_CFS_PERIOD / 1e9), Some(DEFAULT_CFS_PERIOD)); otherwise cpu_quota (0 => None) and cpu_period (0 or negative => None)'),
            ('pids_max',
             ['ex4: no `--pids-limit` (`None`) leaves `pids.max` alone; a positive limit is',
              '`PidsMax::Limit`; 0 or less means unlimited, `PidsMax::Unlimited`.'],
             'ex4: self.pids_limit.map(..): n > 0 => PidsMax::Limit(n), otherwise PidsMax::Unlimited'),
        ])
    generate(ch + 'stats.rs', lab + 'stats.rs',
        ['**Lab 06 skeleton.** Exercise `ex5`: write [`cpu_percent`], [`memory_usage_no_cache`]',
         'and [`effective_memory_limit`] (the three `todo!()`s; the formatting is done). ' + check],
        bodies=[
            ('cpu_percent',
             ['ex5: how much the container\'s CPU time grew, over how much the host\'s grew in the',
              'same interval, times the number of CPUs (`online_cpus`, or `percpu_len` when that is',
              '0), times 100. Work in f64: a counter can go backwards (a restarted container).',
              'Unless both deltas are positive, the answer is 0.'],
             'ex5: (current.container - previous.container) / (current.system - previous.system) * cpus * 100, or 0.0 unless both deltas are positive'),
            ('memory_usage_no_cache',
             ['ex5: the page cache the kernel can drop is `total_inactive_file` (v1),',
              '`inactive_file` (v2) or, on old v1 kernels, `cache`, in `memory.stat`. Subtract the',
              'first of them, in that order, that is present and smaller than the usage; if none',
              'is, the usage as it is.'],
             'ex5: usage minus the first of total_inactive_file, inactive_file, cache (in memory.stat) that is smaller than the usage; else the usage'),
            ('effective_memory_limit',
             ['ex5: the cgroup\'s limit if it has one below the machine\'s memory; otherwise (no',
              'limit, or v1\'s enormous "unlimited") the machine\'s memory.'],
             'ex5: Some(l) with l < machine_memory => l, anything else => machine_memory'),
        ])


def lab07():
    ch = ROOT + '/chapters/07-network/src/'
    lab = ROOT + '/labs/07-network/src/'
    check = '`labs/check 07` tells you how far you are.'
    generate(ch + 'cidr.rs', lab + 'cidr.rs',
        ['**Lab 07 skeleton.** Exercise `ex1`: write [`Ipv4Net::mask`], [`Ipv4Net::contains`],',
         '[`Ipv4Net::overlaps`] and `Ipv4Net::from_str` (the four `todo!()`s; the rest of the file',
         'is built on them, and so is every later exercise). ' + check],
        bodies=[
            ('mask',
             ['ex1: `prefix` ones from the top bit down, zeros below: /16 is 0xffff_0000, /32 all',
              'ones, /0 nothing. Shifting a u32 by 32 overflows: `checked_shl` says so with a `None`.'],
             'ex1: u32::MAX shifted left by 32 - prefix (checked_shl), 0 when that shift is 32'),
            ('contains',
             ['ex1: `ip` is inside when its network bits, the ones the mask keeps, are the subnet\'s.'],
             'ex1: u32::from(ip) & self.mask() == u32::from(self.first())'),
            ('overlaps',
             ['ex1: two CIDR blocks either nest or do not meet at all, so they overlap exactly when one',
              'contains the other\'s first address.'],
             'ex1: self.contains(other.first()) || other.contains(self.first())'),
            ('from_str',
             ['ex1: Go\'s `net.ParseCIDR`, for IPv4: `address/prefix`, where the prefix is one or two',
              'ASCII digits (no sign, no space) worth at most 32, and the address is what',
              '`Ipv4Addr::from_str` accepts (like Go, it refuses leading zeros such as `017`). Every',
              'failure is the same error, `NetworkError::InvalidCidr { cidr: s.to_string() }`: Docker\'s',
              '`invalid CIDR address: …`.'],
             'ex1: split_once(\'/\'); the prefix 1-2 ASCII digits and <= 32; the address with Ipv4Addr::from_str; any failure is NetworkError::InvalidCidr { cidr: s.to_string() }'),
        ])
    generate(ch + 'pool.rs', lab + 'pool.rs',
        ['**Lab 07 skeleton.** Exercise `ex2`: write [`default_pools`] and [`next_free_subnet`] (the',
         'two `todo!()`s; [`AddressPool::subnets`] is done). ' + check],
        bodies=[
            ('default_pools',
             ['ex2: the table above, in order: fifteen pools of one /16 each, 172.17.0.0/16 to',
              '172.31.0.0/16 (`size` 16), then 192.168.0.0/16 carved into /20s (`size` 20).'],
             'ex2: AddressPool { base: 172.N.0.0/16, size: 16 } for N in 17..=31, then AddressPool { base: 192.168.0.0/16, size: 20 }'),
            ('next_free_subnet',
             ['ex2: every subnet of every pool, in order (`AddressPool::subnets`); the first that',
              'overlaps no subnet `in_use` and no `routed` one; `None` when all are taken.'],
             'ex2: pools.iter().flat_map(AddressPool::subnets).find(|candidate| nothing in in_use or routed overlaps it)'),
        ])
    generate(ch + 'ipam.rs', lab + 'ipam.rs',
        ['**Lab 07 skeleton.** Exercise `ex3`: write `NetworkAllocation::next_free`,',
         '[`Ipam::allocate`] and [`Ipam::release`] (the three `todo!()`s; networks, the state file',
         'and `change` are done). ' + check],
        bodies=[
            ('next_free',
             ['ex3: serial allocation. The addresses to search are `ip_range`, else the subnet (take',
              'its `network()`). Start at the offset after `self.last` (`range.offset_of`), or at 0',
              'when nothing was handed out yet or `last` is outside the range; go once all the way',
              'round, wrapping at `range.size()`; the first address (`range.nth(offset)`) that is',
              '`assignable` and not in `allocated` is the answer.'],
             'ex3: offsets from last + 1 (or 0), modulo range.size(), once round; the first range.nth(offset) that is assignable and not allocated'),
            ('allocate',
             ['ex3: the network must exist: else `NetworkError::Ipam`, reason `network {network} not',
              'found`. A `requested` address must be neither allocated nor the gateway',
              '(`NetworkError::AddressInUse`), and inside the subnet (`NetworkError::Ipam`, reason',
              '`Invalid address {ip}: It does not belong to any of this network\'s subnets`). Without',
              'one, `next_free()`, or `NetworkError::NoFreeAddress` (with the subnet as a string).',
              'Then record it with `self.change(|state| …)`, which writes the file before the memory',
              'changes: insert it into `allocated` with its `owner`, and move `last` to it, unless it',
              'was requested.'],
             'ex3: find the network; check the requested address (in use or gateway, outside the subnet) or take next_free(); then self.change(..) to insert it and, unless requested, set last'),
            ('release',
             ['ex3: only an address that is allocated is released, through `self.change` so that the',
              'file follows; the answer says whether it was allocated.'],
             'ex3: if the network holds ip, self.change(..) removes it from allocated; Ok(whether it was held)'),
        ])
    generate(ch + 'ports.rs', lab + 'ports.rs',
        ['**Lab 07 skeleton.** Exercise `ex4`: write [`parse_port_spec`] (the `todo!()`; the helpers',
         '`parse_u16`, `parse_range`, `split_parts` and `split_proto` are done). ' + check],
        bodies=[
            ('parse_port_spec',
             ['ex4: go-connections\' `ParsePortSpec`, step by step, every error `error(message)`:',
              '  1. `split_parts(raw)` gives ip, host port and container port; `split_proto` splits',
              '     the container port `80/udp` into protocol and port;',
              '  2. an ip in brackets (`[::1]`) loses them, a `[` without its `]` is',
              '     `Invalid ip address {ip}: missing \']\' in address`; an ip that does not parse is',
              '     `invalid IP address: {ip}`; no ip is `None`;',
              '  3. an empty container port is `no port specified: {raw}<empty>`; then `parse_range`',
              '     each side: `invalid containerPort: {port}`, `invalid hostPort: {port}`;',
              '  4. with a container range, the host range must be as long:',
              '     `invalid ranges specified for container and host Ports: {container} and {host}`;',
              '  5. the protocol, in any case: tcp, udp or sctp, else `invalid proto: {proto}`;',
              '  6. one `PortMapping` per container port, whose host ports are the matching port of',
              '     the host range, or the whole host range for a single container port.'],
             'ex4: split_parts and split_proto; the ip (brackets, parse); both ranges; their lengths; the protocol; one PortMapping per container port'),
        ])
    generate(ch + 'nat.rs', lab + 'nat.rs',
        ['**Lab 07 skeleton.** Exercise `ex5`: write [`bridge_rules`] and [`port_rules`] (the two',
         '`todo!()`s; [`Iptables`] adds and deletes whatever rules they return). ' + check],
        bodies=[
            ('bridge_rules',
             ['ex5: the layout in the module documentation, for `br` and `subnet`, built with',
              '`Rule::new(table, chain, position, "the rest as iptables -S prints it")`. An `internal`',
              'network gets three rules: two DROPs inserted in ISOLATION_STAGE_1 (from outside the',
              'subnet to the bridge, from the bridge to outside the subnet) and the bridge-to-bridge',
              'ACCEPT appended to FORWARD. Any other gets eight: the MASQUERADE of the subnet in',
              'POSTROUTING; the RETURN in nat\'s CHAIN; four FORWARD rules (replies in, new traffic to',
              'CHAIN, out of the bridge, bridge to bridge), appended; one rule inserted in each',
              'isolation stage.'],
             'ex5: internal: 2 DROPs in ISOLATION_STAGE_1 and FORWARD -i br -o br ACCEPT; otherwise MASQUERADE, nat CHAIN RETURN, 4 FORWARD rules, one rule in each isolation stage'),
            ('port_rules',
             ['ex5: three rules: in nat\'s CHAIN the DNAT to `container_ip:container_port` (with',
              '`-d HOST_IP/32` first if there is one, then, unless `hairpin_nat`, `! -i BRIDGE`); in',
              'POSTROUTING the MASQUERADE of the container talking to itself (`-s CIP/32 -d CIP/32`);',
              'in filter\'s CHAIN the ACCEPT of what is forwarded to it. Every match on the port is',
              '`-p PROTO -m PROTO --dport PORT`; all three are appended.'],
             'ex5: DNAT in nat CHAIN ([-d ip/32] [! -i br] -p P -m P --dport HOST -j DNAT --to-destination CIP:CPORT), the hairpin MASQUERADE in POSTROUTING, the ACCEPT in filter CHAIN'),
        ])
    generate(ch + 'link.rs', lab + 'link.rs',
        ['**Lab 07 skeleton.** Exercise `ex6`: write [`Netlink::add_veth`],',
         '[`Netlink::add_veth_into`], [`Netlink::set_master`] and [`Netlink::move_to_netns`] (the',
         'four `todo!()`s; the other link operations are done, and show how a message is built).',
         'Its tests need root. ' + check],
        bodies=[
            ('add_veth',
             ['ex6: one `RTM_NEWLINK` (`self.new_link`, which also validates `name`) creates both ends:',
              'the link `name` with a `LinkAttribute::LinkInfo` of two parts,',
              '`LinkInfo::Kind(InfoKind::Veth)` and `LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(p)))`,',
              'where `p` is a second `LinkMessage` (`message(0)`) naming the peer with',
              '`LinkAttribute::IfName`. Validate the peer\'s name first.'],
             'ex6: validate peer; p = message(0) with IfName(peer); self.new_link(name, vec![LinkInfo(vec![Kind(Veth), Data(Veth(Peer(p)))])])'),
            ('set_master',
             ['ex6: `change_link` with one attribute: the bridge\'s index as the link\'s controller',
              '(`LinkAttribute::Controller`, IFLA_MASTER). Look the bridge\'s index up first.'],
             'ex6: let bridge_index = self.link_index(bridge)?; then self.change_link(name, |m| push LinkAttribute::Controller(bridge_index))'),
            ('add_veth_into',
             ['ex6: what you wrote for `add_veth`, plus one attribute on the peer\'s message,',
              '`LinkAttribute::NetNsFd(netns.as_raw_fd())`: the kernel creates the peer right inside',
              'that namespace. Validate the peer\'s name first.'],
             'ex6: what add_veth does, with LinkAttribute::NetNsFd(netns.as_raw_fd()) pushed onto the peer message'),
            ('move_to_netns',
             ['ex6: validate `new_name` if there is one; then `change_link` with',
              '`LinkAttribute::NetNsFd(netns.as_raw_fd())` and, to rename on the way,',
              '`LinkAttribute::IfName(new_name)`. The kernel moves and renames in one step, so the new',
              'name only has to be free in the target namespace.'],
             'ex6: validate new_name; self.change_link(name, |m| push NetNsFd(netns.as_raw_fd()) and, when renaming, IfName(new_name))'),
        ])


def lab08():
    ch = ROOT + '/chapters/08-exec/src/'
    lab = ROOT + '/labs/08-exec/src/'
    check = '`labs/check 08` tells you how far you are.'
    generate(ch + 'cgroup.rs', lab + 'cgroup.rs',
        ['**Lab 08 skeleton.** Exercise `ex1`: write [`cgroups_to_join`] (the `todo!()`;',
         '[`join_cgroups`] below is built on it). ' + check],
        bodies=[
            ('cgroups_to_join',
             ['ex1: for each controller of `Controller::V1`, the two processes\' cgroups are',
              '`ours.own_v1.get(controller.name())` and the same in `theirs`. Where both exist, differ,',
              'and the controller is mounted (`theirs.v1_mount(controller)`), the directory is',
              '`theirs.own_v1_dir(controller)?`; keep each directory once (`cpu,cpuacct` is one',
              'hierarchy). Then the unified hierarchy: when `theirs.unified` is mounted and',
              '`own_unified` differs between the two, add `theirs.own_v2_dir()?`.'],
             'ex1: a Vec of theirs.own_v1_dir(c)? for each Controller::V1 whose own_v1 paths differ (once each), then theirs.own_v2_dir()? if own_unified differs'),
        ])
    generate(ch + 'fork.rs', lab + 'fork.rs',
        ['**Lab 08 skeleton.** Exercise `ex2`: write [`wait_exit_code`] and [`run_joined`] (the two',
         '`todo!()`s; [`fork_child`] is done). ' + check],
        bodies=[
            ('wait_exit_code',
             ['ex2: `waitpid(pid, None)` in a loop: `WaitStatus::Exited(_, code)` is the code,',
              '`WaitStatus::Signaled(_, signal, _)` is 128 + `signal as i32`; any other status (stopped,',
              'continued) and `Err(Errno::EINTR)` mean wait again; another error is',
              '`ExecError::Wait { pid, source }`.'],
             'ex2: loop { match waitpid(pid, None) { Exited => code, Signaled => 128 + signal, other or EINTR => continue, Err => ExecError::Wait } }'),
            ('run_joined',
             ['ex2: join first (`join_container(target)?`: the cgroups, then the namespaces), then',
              'fork (`fork_child(body)`, an unsafe call: pass the caller\'s promise on), then wait for',
              'the child and return its exit code.'],
             'ex2: join_container(target)?; let child = unsafe { fork_child(body) }?; wait_exit_code(child)'),
        ])
    generate(ch + 'terminal.rs', lab + 'terminal.rs',
        ['**Lab 08 skeleton.** Exercise `ex3`: write [`make_controlling_stdio`],',
         '[`become_session_leader`] and [`set_window_size`] (the three `todo!()`s; opening the pty',
         'is done). ' + check],
        bodies=[
            ('make_controlling_stdio',
             ['ex3: three steps, each error naming `slave_path`: hand the slave to `uid`',
              '(`nix::unistd::fchown`, `TerminalError::Chown`); make it the controlling terminal',
              '(`unsafe { tiocsctty(slave.as_raw_fd(), 0) }`, `TerminalError::Controlling`); then make it',
              'fd 0, 1 and 2 (`nix::unistd::dup2_stdin`, `dup2_stdout`, `dup2_stderr`,',
              '`TerminalError::Stdio`).'],
             'ex3: fchown(&slave, Some(Uid::from_raw(uid)), None), tiocsctty(fd, 0), dup2 onto stdin, stdout and stderr'),
            ('become_session_leader',
             ['ex3: take the terminal apart, drop the master (it is the relay\'s), start a session',
              '(`nix::unistd::setsid()`, its error `TerminalError::Session` with the slave\'s path),',
              'then `make_controlling_stdio`.'],
             'ex3: let Terminal { master, slave, slave_path } = terminal; drop(master); setsid()?; make_controlling_stdio(slave, &slave_path, uid)'),
            ('set_window_size',
             ['ex3: a `libc::winsize` with `ws_row` and `ws_col` from `size` (and 0 pixels), passed by',
              'reference to `unsafe { tiocswinsz(terminal.as_raw_fd(), &winsize) }`; its error is',
              '`TerminalError::Resize` with the rows and columns.'],
             'ex3: libc::winsize { ws_row, ws_col, 0, 0 } and tiocswinsz(fd, &winsize), errors as TerminalError::Resize'),
        ])
    generate(ch + 'console.rs', lab + 'console.rs',
        ['**Lab 08 skeleton.** Exercise `ex4`: write [`send_master`] and [`receive_master`] (the two',
         '`todo!()`s). ' + check],
        bodies=[
            ('send_master',
             ['ex4: one byte of payload (`[IoSlice::new(b"m")]`) and one control message,',
              '`ControlMessage::ScmRights(&[master.as_raw_fd()])`, through',
              '`sendmsg::<()>(socket.as_raw_fd(), &payload, &rights, MsgFlags::empty(), None)`; its error',
              'is `TerminalError::Send`.'],
             'ex4: sendmsg with a 1-byte IoSlice and [ControlMessage::ScmRights(&[fd])], errors as TerminalError::Send'),
            ('receive_master',
             ['ex4: in a loop: `recvmsg::<()>` into a 1-byte buffer with room for one descriptor',
              '(`nix::cmsg_space!([RawFd; 1])`) and `MsgFlags::MSG_CMSG_CLOEXEC`; EINTR means again, other',
              'errors are `TerminalError::Receive`. 0 bytes: the sender is gone, `Ok(None)`. Otherwise',
              'take the first descriptor of a `ControlMessageOwned::ScmRights` (`OwnedFd::from_raw_fd`:',
              'the kernel just made it ours); a message without one means wait for the next.'],
             'ex4: loop { recvmsg(.., MSG_CMSG_CLOEXEC): 0 bytes => None, an ScmRights fd => Some(OwnedFd), else read again }'),
        ])


def lab10():
    ch = ROOT + '/chapters/10-api/src/'
    lab = ROOT + '/labs/10-api/src/'
    check = '`labs/check 10` tells you how far you are.'
    generate(ch + 'version.rs', lab + 'version.rs',
        ['**Lab 10 skeleton.** Exercise `ex1`: write [`split_version_prefix`] and [`check_version`]',
         '(the two `todo!()`s; the middleware below them is built on them). ' + check],
        bodies=[
            ('split_version_prefix',
             ['ex1: a path that starts with `/v`, then a version (one or more digits and dots), then',
              'a `/`: the version, and the rest of the path from that `/` on. Anything else (no',
              'prefix, an empty version, letters in it, no `/` after it) is `None`.'],
             'ex1: strip_prefix("/v"), find the first \'/\', check the part before it is digits and dots and not empty; Some((version, rest_with_its_slash))'),
            ('check_version',
             ['ex1: above `max` is `VersionError::TooNew`, below `min` is `VersionError::TooOld`, each',
              'with the versions as strings; compare with `compare_versions` (1.9 < 1.10).'],
             'ex1: compare_versions(asked, max).is_gt() => TooNew, compare_versions(asked, min).is_lt() => TooOld, else Ok'),
        ])
    generate(ch + 'stdcopy.rs', lab + 'stdcopy.rs',
        ['**Lab 10 skeleton.** Exercise `ex2`: write [`frame`], [`parse_header`] and [`read_frame`]',
         '(the three `todo!()`s). ' + check],
        bodies=[
            ('frame',
             ['ex2: eight header bytes, then the payload: the stream\'s id, three zeros, the payload\'s',
              'length as a big-endian u32.'],
             'ex2: vec![stream.id(), 0, 0, 0] + (payload.len() as u32).to_be_bytes() + payload'),
            ('parse_header',
             ['ex2: the first byte is the stream (0, 1, 2; anything else is `BadFrameHeader`), bytes',
              '4..8 the length, big-endian.'],
             'ex2: match header[0] { 0 => Stdin, 1 => Stdout, 2 => Stderr, s => Err(BadFrameHeader { header, stream: s }) }, u32::from_be_bytes(header[4..8])'),
            ('read_frame',
             ['ex2: read the 8 header bytes (a reader may give fewer than asked: loop). Nothing at all',
              'before the header is the clean end, `Ok(None)`; an end in the middle of a header is',
              '`UnexpectedEof`. Then `parse_header` (its error as `InvalidData`) and exactly that many',
              'payload bytes.'],
             'ex2: fill an [u8; 8] with read() in a loop (0 bytes read at offset 0 => Ok(None), later => UnexpectedEof), parse_header, then read_exact the payload'),
        ])
    generate(ch + 'error.rs', lab + 'error.rs',
        ['**Lab 10 skeleton.** Exercise `ex3`: write `ApiError::into_response` and',
         '`ApiJson::from_request` (the two `todo!()`s). ' + check],
        bodies=[
            ('into_response',
             ['ex3: the status, and a JSON body with one key, `message`.'],
             'ex3: (self.status, Json(serde_json::json!({ "message": self.message }))).into_response()'),
            ('from_request',
             ['ex3: read the `Content-Type` header, then the body as bytes (`Bytes::from_request`; its',
              'rejection becomes an ApiError with its status and text). A content type that is set and',
              'not `application/json…` with a body that is not empty is a 400:',
              '`unsupported Content-Type header ({content_type}): must be \'application/json\'`. A body',
              'of only whitespace reads as `{}`. Bad JSON is a 400:',
              '`invalid JSON in the request body: {serde error}`.'],
             'ex3: content type check (400), empty body => b"{}", serde_json::from_slice => ApiJson, its error => 400 "invalid JSON in the request body: ..."'),
        ])
    generate(ch + 'ping.rs', lab + 'ping.rs',
        ['**Lab 10 skeleton.** Exercise `ex4`: write the endpoint [`ping`] (the `todo!()`). ' + check],
        bodies=[
            ('ping',
             ['ex4: the body `OK`, and three headers: `Cache-Control: no-cache, no-store,',
              'must-revalidate`, `Pragma: no-cache`, `Content-Type: text/plain; charset=utf-8`.'],
             'ex4: let mut response = "OK".into_response(); insert the three headers with HeaderValue::from_static; response'),
        ])


LABS = {'01': lab01, '02': lab02, '03': lab03, '04': lab04, '05': lab05, '06': lab06, '07': lab07, '08': lab08, '10': lab10}

if __name__ == '__main__':
    for wanted in sys.argv[1:] or sorted(LABS):
        LABS[wanted.zfill(2)]()
