"""Writers: load chunks into a target database, through its bulk path where one exists."""
