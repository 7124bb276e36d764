//! Work spread over the cores on native targets, and the same code run in order on wasm32
//! (a browser page has one thread for WebAssembly unless it sets up workers of its own).

/// Applies `f` to consecutive chunks of `items` (each at most `chunk` long) and concatenates
/// the results in order. On native targets the chunks run on rayon's thread pool.
pub fn map_chunks<T, R, F>(items: &[T], chunk: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> Vec<R> + Sync + Send,
{
    let chunk = chunk.max(1);
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        items.par_chunks(chunk).flat_map_iter(f).collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        items.chunks(chunk).flat_map(f).collect()
    }
}

/// Applies `f` to every item, keeping the order; in parallel on native targets.
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        items.iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_order_and_cover_everything() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = map_chunks(&items, 7, |c| c.iter().map(|x| x * 2).collect());
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(map(&items, |x| x + 1)[999], 1000);
        assert!(map_chunks(&[] as &[u32], 7, |c| c.to_vec()).is_empty());
    }
}
