"""What every later stage needs of an article: its language and sentences, sentence vectors, named mentions."""
