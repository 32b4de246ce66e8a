LIST @{stage}
