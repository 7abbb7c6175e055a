//! Docker's random container names (`admiring_turing`, `focused_lovelace3`, ...).
//!
//! When `docker run`/`docker create` gets no `--name`, the engine invents one of the form
//! `adjective_surname`: an adjective from [`LEFT`] and the surname of a notable scientist or
//! hacker from [`RIGHT`]. The two word lists are the ones of moby's `pkg/namesgenerator`
//! (frozen upstream since 2022), in moby's order, so an index sequence gives the name Docker
//! would. They match Debian's dockerd 20.10.24: 800 unnamed `docker create`s against the oracle
//! produced all 108 adjectives and 228 of the 236 surnames, and nothing outside these lists.
//!
//! How the engine uses it (moby `daemon/names.go`): it tries `random_name(0)`, and, while the
//! name is already taken, `random_name(1)` .. `random_name(5)` (which append a digit); after six
//! collisions it falls back to the first 12 hex digits of the container ID.
//!
//! The randomness comes from the caller (`rng(n)` must return a uniformly random index `< n`),
//! so this module depends on no crate and tests can be deterministic.

/// Adjectives: the first half of a generated name (moby's `left`).
#[rustfmt::skip]
pub const LEFT: &[&str] = &[
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome",
    "beautiful", "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "cool",
    "compassionate", "competent", "condescending", "confident", "cranky", "crazy", "dazzling",
    "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant",
    "eloquent", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly",
    "frosty", "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore",
    "heuristic", "hopeful", "hungry", "infallible", "inspiring", "intelligent", "interesting",
    "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "mystifying",
    "modest", "musing", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective",
    "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky",
    "quizzical", "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp",
    "silly", "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet", "tender",
    "thirsty", "trusting", "unruffled", "upbeat", "vibrant", "vigilant", "vigorous",
    "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];

/// Surnames of notable scientists and hackers: the second half of a generated name (moby's
/// `right`). Mostly, but not strictly, alphabetical: the order is moby's, kept on purpose.
#[rustfmt::skip]
pub const RIGHT: &[&str] = &[
    "agnesi", "albattani", "allen", "almeida", "antonelli", "archimedes", "ardinghelli",
    "aryabhata", "austin", "babbage", "banach", "banzai", "bardeen", "bartik", "bassi",
    "beaver", "bell", "benz", "bhabha", "bhaskara", "black", "blackburn", "blackwell", "bohr",
    "booth", "borg", "bose", "bouman", "boyd", "brahmagupta", "brattain", "brown", "buck",
    "burnell", "cannon", "carson", "cartwright", "carver", "cerf", "chandrasekhar",
    "chaplygin", "chatelet", "chatterjee", "chaum", "chebyshev", "clarke", "cohen", "colden",
    "cori", "cray", "curran", "curie", "darwin", "davinci", "dewdney", "dhawan", "diffie",
    "dijkstra", "dirac", "driscoll", "dubinsky", "easley", "edison", "einstein", "elbakyan",
    "elgamal", "elion", "ellis", "engelbart", "euclid", "euler", "faraday", "feistel",
    "fermat", "fermi", "feynman", "franklin", "gagarin", "galileo", "galois", "ganguly",
    "gates", "gauss", "germain", "goldberg", "goldstine", "goldwasser", "golick", "goodall",
    "gould", "greider", "grothendieck", "haibt", "hamilton", "haslett", "hawking", "hellman",
    "heisenberg", "hermann", "herschel", "hertz", "heyrovsky", "hodgkin", "hofstadter",
    "hoover", "hopper", "hugle", "hypatia", "ishizaka", "jackson", "jang", "jemison",
    "jennings", "jepsen", "johnson", "joliot", "jones", "kalam", "kapitsa", "kare", "keldysh",
    "keller", "kepler", "khayyam", "khorana", "kilby", "kirch", "knuth", "kowalevski",
    "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann", "lewin",
    "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "margulis", "matsumoto",
    "maxwell", "mayer", "mccarthy", "mcclintock", "mclaren", "mclean", "mcnulty", "mendel",
    "mendeleev", "meitner", "meninsky", "merkle", "mestorf", "mirzakhani", "montalcini",
    "moore", "morse", "murdock", "moser", "napier", "nash", "neumann", "newton", "nightingale",
    "nobel", "noether", "northcutt", "noyce", "panini", "pare", "pascal", "pasteur", "payne",
    "perlman", "pike", "poincare", "poitras", "proskuriakova", "ptolemy", "raman", "ramanujan",
    "ride", "ritchie", "rhodes", "robinson", "roentgen", "rosalind", "rubin", "saha", "sammet",
    "sanderson", "satoshi", "shamir", "shannon", "shaw", "shirley", "shockley", "shtern",
    "sinoussi", "snyder", "solomon", "spence", "stonebraker", "sutherland", "swanson",
    "swartz", "swirles", "taussig", "tesla", "tharp", "thompson", "torvalds", "tu", "turing",
    "varahamihira", "vaughan", "villani", "visvesvaraya", "volhard", "wescoff", "wilbur",
    "wiles", "williams", "williamson", "wilson", "wing", "wozniak", "wright", "wu", "yalow",
    "yonath", "zhukovsky",
];

/// The one combination never produced: "Steve Wozniak is not boring" (moby's easter egg).
const NOT_BORING: (&str, &str) = ("boring", "wozniak");

/// Returns a random `adjective_surname` name, e.g. `focused_turing`.
///
/// `rng(n)` must return a uniformly random index in `0..n`. It is called once for the adjective
/// and once for the surname (again for both if the pair drew `boring_wozniak`), and, when
/// `retry > 0`, once more with `n = 10` for a digit appended to the name (`focused_turing3`),
/// exactly as moby's `GetRandomName(retry)` does.
///
/// # Panics
/// If `rng` returns an index out of range.
pub fn random_name(retry: u32, rng: &mut impl FnMut(usize) -> usize) -> String {
    let (left, right) = loop {
        let left = LEFT[rng(LEFT.len())];
        let right = RIGHT[rng(RIGHT.len())];
        if (left, right) != NOT_BORING {
            break (left, right);
        }
    };
    let mut name = format!("{left}_{right}");
    if retry > 0 {
        let digit = rng(10);
        assert!(digit < 10, "rng(10) returned {digit}");
        name.push_str(&digit.to_string());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A small deterministic generator (xorshift64*), reduced to `0..n`.
    fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed.max(1);
        move |n| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
        }
    }

    /// `^[a-z]+_[a-z]+[0-9]?$`, with the digit present exactly when `with_digit`.
    fn well_formed(name: &str, with_digit: bool) -> bool {
        let body = if with_digit {
            match name.strip_suffix(|c: char| c.is_ascii_digit()) {
                Some(body) => body,
                None => return false,
            }
        } else {
            name
        };
        let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
        matches!(body.split_once('_'), Some((l, r)) if lower(l) && lower(r))
    }

    #[test]
    fn format_without_retry() {
        let mut rng = xorshift(42);
        for _ in 0..10_000 {
            let name = random_name(0, &mut rng);
            assert!(well_formed(&name, false), "{name}");
        }
    }

    #[test]
    fn format_with_retry_has_one_digit() {
        let mut rng = xorshift(7);
        let mut digits = HashSet::new();
        for retry in 1..2_000 {
            let name = random_name(retry, &mut rng);
            assert!(well_formed(&name, true), "{name}");
            digits.insert(name.chars().last().unwrap());
        }
        assert_eq!(digits.len(), 10, "every digit 0-9 shows up");
    }

    #[test]
    fn halves_come_from_the_lists() {
        let mut rng = xorshift(3);
        for _ in 0..1_000 {
            let name = random_name(0, &mut rng);
            let (l, r) = name.split_once('_').unwrap();
            assert!(LEFT.contains(&l) && RIGHT.contains(&r), "{name}");
        }
    }

    #[test]
    fn index_sequence_picks_moby_order() {
        let mut seq = [0usize, 0, 5].into_iter();
        let mut rng = |n: usize| {
            let i = seq.next().unwrap();
            assert!(i < n);
            i
        };
        assert_eq!(random_name(1, &mut rng), "admiring_agnesi5");
        let (mut a, mut b) = (Some(LEFT.len() - 1), Some(RIGHT.len() - 1));
        let mut rng = |_n: usize| a.take().or_else(|| b.take()).unwrap();
        assert_eq!(random_name(0, &mut rng), "zen_zhukovsky");
    }

    #[test]
    fn never_boring_wozniak() {
        let boring = LEFT.iter().position(|&w| w == "boring").unwrap();
        let wozniak = RIGHT.iter().position(|&w| w == "wozniak").unwrap();
        // First draw boring_wozniak, then the generator must draw again.
        let mut seq = [boring, wozniak, boring, 0].into_iter();
        let mut rng = |_n: usize| seq.next().expect("drew too often");
        assert_eq!(random_name(0, &mut rng), "boring_agnesi");
        // And over many random draws it never comes out.
        let mut rng = xorshift(99);
        for _ in 0..50_000 {
            assert_ne!(random_name(0, &mut rng), "boring_wozniak");
        }
    }

    #[test]
    fn lists_have_no_duplicates_and_are_lowercase() {
        for list in [LEFT, RIGHT] {
            let set: HashSet<_> = list.iter().collect();
            assert_eq!(set.len(), list.len(), "duplicate entry");
            assert!(
                list.iter()
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
            );
        }
        assert_eq!(LEFT.len(), 108);
        assert_eq!(RIGHT.len(), 236);
    }
}
