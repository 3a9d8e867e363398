//! Packing encoded messages into SendMessageBatch calls: at most 10 entries and at most the
//! size limit in total per call (each message already fits alone).

use std::ops::Range;

/// SQS's entries per batch.
pub const MAX_BATCH_ENTRIES: usize = 10;

/// Consecutive ranges of `sizes`, each with at most `max_entries` elements summing to at most
/// `max_bytes` (an element larger than `max_bytes` gets a range of its own).
pub fn pack(sizes: &[usize], max_entries: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut total) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        let full = i - start == max_entries || total + size > max_bytes;
        if i > start && full {
            ranges.push(start..i);
            (start, total) = (i, 0);
        }
        total += size;
    }
    if start < sizes.len() {
        ranges.push(start..sizes.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_ten() {
        let ranges = pack(&[1; 25], 10, 1000);
        assert_eq!(ranges, vec![0..10, 10..20, 20..25]);
    }

    #[test]
    fn batches_stay_under_the_byte_limit() {
        // ten messages of 30 KiB: 300 KiB, over 256 KiB
        let sizes = [30 * 1024; 10];
        let ranges = pack(&sizes, 10, 256 * 1024);
        assert_eq!(ranges, vec![0..8, 8..10]);
        for r in ranges {
            assert!(sizes[r].iter().sum::<usize>() <= 256 * 1024);
        }
    }

    #[test]
    fn every_message_is_in_exactly_one_batch() {
        let sizes: Vec<usize> = (0..37).map(|i| (i * 7919) % 100_000 + 1).collect();
        let ranges = pack(&sizes, 10, 256 * 1024);
        let flat: Vec<usize> = ranges.into_iter().flatten().collect();
        assert_eq!(flat, (0..37).collect::<Vec<_>>());
        assert!(pack(&[], 10, 10).is_empty());
    }
}
