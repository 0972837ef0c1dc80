//! Hash algorithm names, normalized across formats.
//!
//! CycloneDX writes `SHA-256`, SPDX writes `SHA256`, and some generators write
//! `sha_256`: a rule comparing an artifact's sha256 with a component's should
//! find it under one key whatever the SBOM's format. The key is the lowercase
//! name without the dash after `sha` (`sha1`, `sha256`, `sha512`), keeping the
//! dash where it separates a family from a size (`sha3-256`, `blake2b-256`).

/// The normalized key of a hash algorithm name.
pub fn algorithm(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase().replace('_', "-");
    match lower.strip_prefix("sha-") {
        Some(size) => format!("sha{size}"),
        None => lower,
    }
}

/// The normalized form of a digest value: lowercase, no surrounding blanks.
pub fn digest(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

/// Hashes by normalized algorithm name from `(algorithm, value)` pairs as a
/// document writes them; incomplete pairs are skipped, the first of a repeated
/// algorithm wins.
pub fn collect<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (alg, value) in pairs {
        if let (Some(alg), Some(value)) = (super::non_empty(alg), super::non_empty(value)) {
            out.entry(algorithm(alg)).or_insert_with(|| digest(value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_cyclonedx_and_spdx_names_alike() {
        for (given, want) in [
            ("SHA-256", "sha256"),
            ("SHA256", "sha256"),
            ("SHA-1", "sha1"),
            ("SHA1", "sha1"),
            ("SHA-512", "sha512"),
            ("SHA-384", "sha384"),
            ("MD5", "md5"),
            ("SHA3-256", "sha3-256"),
            ("SHA3-512", "sha3-512"),
            ("BLAKE2b-256", "blake2b-256"),
            ("BLAKE3", "blake3"),
            ("ADLER32", "adler32"),
            ("sha_256", "sha256"),
            (" Sha-256 ", "sha256"),
        ] {
            assert_eq!(algorithm(given), want, "{given}");
        }
    }

    #[test]
    fn lowercases_digests() {
        assert_eq!(digest(" ABCdef01 "), "abcdef01");
    }
}
