import { defineSubject } from '../src/suite.js'

defineSubject('college_computer_science')
