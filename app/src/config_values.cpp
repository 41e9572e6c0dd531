// written in issue 2
