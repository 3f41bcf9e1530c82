import SystoleDriver

Driver.main()
