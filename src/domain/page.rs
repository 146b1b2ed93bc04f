//! Keyset pagination: a page is "the next `first` rows after this id", never an offset, so
//! a page costs the same on row 10 as on row 1,000,000.

use super::InvalidInput;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub first: u64,
    /// The id of the last row of the previous page.
    pub after: Option<i64>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<i64>) -> Result<Self, InvalidInput> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(InvalidInput::new(
                    "first",
                    "first cannot be negative: ask for 1 to 100 rows.",
                ));
            }
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(InvalidInput::new(
                    "first",
                    format!(
                        "You asked for {n} rows; a page holds at most {MAX_PAGE_SIZE}. Use the cursor to fetch the next page."
                    ),
                ));
            }
            Some(n) => n as u64,
        };
        Ok(Self { first, after })
    }

    pub fn first_page() -> Self {
        Self {
            first: DEFAULT_PAGE_SIZE,
            after: None,
        }
    }
}

/// One page of results, and whether there is another after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `first + 1` rows fetched in order: the extra row only says
    /// that another page exists.
    pub fn from_overfetch(mut rows: Vec<T>, request: PageRequest) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        Self {
            items: rows,
            has_next_page,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_and_is_capped() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(PageRequest::parse(Some(100), None).unwrap().first, 100);
        assert_eq!(
            PageRequest::parse(Some(101), None).unwrap_err().field,
            "first"
        );
        assert_eq!(
            PageRequest::parse(Some(-1), None).unwrap_err().field,
            "first"
        );
    }

    #[test]
    fn the_extra_row_means_another_page() {
        let request = PageRequest::parse(Some(2), None).unwrap();
        let page = Page::from_overfetch(vec![1, 2, 3], request);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_next_page);
        let page = Page::from_overfetch(vec![1, 2], request);
        assert!(!page.has_next_page);
    }
}
