//! The one work-sharing loop of the scanner: compiling the profile's modules and evaluating the
//! (object, policy) jobs both hand items to a few scoped threads and want the results back in
//! input order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` applied to every item on up to `threads` threads (at least one, at most one per item),
/// the results in the order of `items`; `tick` runs after each item (progress). A panic in `f`
/// is resumed on the caller's thread.
pub fn map_in_order<T, R>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    tick: impl Fn() + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let threads = threads.min(items.len()).max(1);
    if threads == 1 {
        return items
            .iter()
            .map(|item| {
                let r = f(item);
                tick();
                r
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            break;
                        };
                        mine.push((index, f(item)));
                        tick();
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(mine) => mine,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::map_in_order;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_keep_the_input_order_and_every_item_ticks() {
        let items: Vec<usize> = (0..200).collect();
        for threads in [0, 1, 2, 7, 500] {
            let ticks = AtomicUsize::new(0);
            let out = map_in_order(
                &items,
                threads,
                |i| i * 3,
                || {
                    ticks.fetch_add(1, Ordering::Relaxed);
                },
            );
            assert_eq!(
                out,
                items.iter().map(|i| i * 3).collect::<Vec<_>>(),
                "{threads} threads"
            );
            assert_eq!(ticks.load(Ordering::Relaxed), items.len());
        }
        assert!(map_in_order(&[] as &[u8], 4, |b| *b, || {}).is_empty());
    }
}
