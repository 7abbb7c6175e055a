#!/usr/bin/env python3
"""Regenerate the lab skeletons from the chapter files.

A skeleton is the chapter's file with the exercise bodies replaced by `todo!()`s: every item,
signature and doc comment is kept, the unit tests and `ANCHOR` comments are dropped, and a
banner names the exercise. Run it after a chapter file changes, then `labs/check --verify`:

    labs/tools/make-skeletons.py            # every lab
    labs/tools/make-skeletons.py 02         # one lab

It overwrites labs/NN-*/src/<exercise module>.rs, so run it on a clean tree (a learner's work
there is lost). Each file is formatted with `rustfmt` reading stdin, which, unlike `cargo fmt`
on a lab crate, does not follow the `#[path]`s into the chapter's files.
"""
import json, os, re, subprocess, sys, textwrap

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

def find_body(s, name):
    m = re.search(r'\bfn ' + re.escape(name) + r'\b', s)
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
    first, rest = s.split('\n', 1)
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


LABS = {'01': lab01, '02': lab02, '03': lab03}

if __name__ == '__main__':
    for wanted in sys.argv[1:] or sorted(LABS):
        LABS[wanted.zfill(2)]()
